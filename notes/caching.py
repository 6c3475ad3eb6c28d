"""Public pages and feeds: conditional GET, a page cache and Cache-Control, all from the site
state's version (notes.state), so no cached copy outlives the change that makes it wrong.

Every public view is wrapped in ``public`` (notes/urls.py). Per request it reads the state
(one query, or none with Redis), answers ``If-None-Match``/``If-Modified-Since`` with a 304
before any rendering, else serves the page from the cache when it was made for this version,
else renders it and keeps it. Nothing per user passes here: a response that sets a cookie or
varies by one is never stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import get_language

from notes import fragments, state

KEPT_HEADERS = ("Content-Type", "Content-Language", "X-Robots-Tag", "Content-Disposition")


def version_tag(site: state.State) -> str:
    """The ETag of every public page for this build and state. The time of the change is in
    it too: a database restored from a backup may count versions again from an older one."""
    return f'"{fragments.BUILD}-{site.version}-{int(site.changed_at.timestamp() * 1e6):x}"'


def _page_key(request: HttpRequest) -> str:
    # The host too: without DJANGO_SITE_URL, absolute links come from the request's address.
    path = f"{get_language()}|{request.scheme}://{request.get_host()}{request.get_full_path()}"
    return "notes:page:" + hashlib.sha256(path.encode()).hexdigest()[:32]


def _cacheable(response: HttpResponse) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "Cookie" not in response.get("Vary", "")
        and "private" not in response.get("Cache-Control", "")
    )


def _add_headers(response: HttpResponse, site: state.State, etag: str) -> HttpResponse:
    if response.status_code in (200, 304):
        response["ETag"] = etag
        response["Last-Modified"] = http_date(site.changed_at.timestamp())
        # A proxy or CDN may keep the page a short while, never past a scheduled note's time.
        max_age = state._seconds_until(site.next_publish_at, settings.PAGE_MAX_AGE)
        response["Cache-Control"] = (
            f"public, max-age={max_age}, "
            f"stale-while-revalidate={settings.PAGE_STALE_WHILE_REVALIDATE}"
        )
    return response


def public(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A public page or feed: the same for every reader, so it can be revalidated, cached here
    and cached by a proxy."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        site = state.current(request)
        etag = version_tag(site)
        not_modified = get_conditional_response(
            request, etag=etag, last_modified=int(site.changed_at.timestamp())
        )
        if not_modified is not None:
            return _add_headers(not_modified, site, etag)
        key = _page_key(request) if settings.PAGE_CACHE else None
        if key is not None:
            entry = state.cache_get(key)
            if entry is not None and entry[0] == etag:
                _etag, status, headers, content = entry
                response = HttpResponse(content, status=status)
                for name, value in headers:
                    response[name] = value
                return _add_headers(response, site, etag)
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        if key is not None and _cacheable(response):
            headers = [(name, response[name]) for name in KEPT_HEADERS if name in response]
            entry = (etag, response.status_code, headers, response.content)
            state.cache_set(key, entry, settings.PAGE_CACHE_SECONDS)
        return _add_headers(response, site, etag)

    wrapped.csrf_exempt = getattr(view, "csrf_exempt", False)
    return wrapped
