"""Public pages and feeds: conditional GET, a page cache and Cache-Control, all from the site
state's version (notes.state), so no cached copy outlives the change that makes it wrong.

Every public view is wrapped in ``public`` (notes/urls.py). Per request it reads the state
(one query, or none with Redis), answers ``If-None-Match``/``If-Modified-Since`` with a 304
before any rendering, else serves the page from the cache when it was made for this version,
else renders it and keeps it. Nothing per user passes here: a response that sets a cookie or
varies by one is never stored.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date
from django.utils.text import compress_string
from django.utils.translation import get_language

from notes import fragments, methods, state

_ACCEPTS_GZIP = re.compile(r"\bgzip\b")
KEPT_HEADERS = ("Content-Type", "Content-Language", "X-Robots-Tag", "Content-Disposition")


def version_tag(site: state.State) -> str:
    """The ETag of every public page for this build and state. The time of the change is in
    it too: a database restored from a backup may count versions again from an older one."""
    return f'"{fragments.BUILD}-{site.version}-{int(site.changed_at.timestamp() * 1e6):x}"'


def _page_key(request: HttpRequest) -> str:
    path = f"{get_language()}|{request.get_full_path()}"  # no host: links use DJANGO_SITE_URL
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
        # A browser asks again every time (a 304 costs next to nothing), so a reader or an
        # editor never sees their own old copy; a shared proxy or CDN may keep the page a
        # short while, never past a scheduled note's time, and a CDN that reads its own
        # header (RFC 9213) may serve it a little longer while it fetches a fresh one.
        max_age = state._seconds_until(site.next_publish_at, settings.PAGE_MAX_AGE)
        response["Cache-Control"] = f"public, max-age=0, s-maxage={max_age}"
        response["CDN-Cache-Control"] = (
            f"public, max-age={max_age}, "
            f"stale-while-revalidate={settings.PAGE_STALE_WHILE_REVALIDATE}"
        )
    return response


def _from_entry(request: HttpRequest, entry: tuple) -> HttpResponse:
    _etag, status, headers, content, packed = entry
    if packed and not _ACCEPTS_GZIP.search(request.headers.get("accept-encoding", "")):
        content, packed = gzip.decompress(content), False
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response[name] = value
    if packed:
        # As GZipMiddleware marks what it compresses (it leaves this response alone).
        response["Content-Encoding"] = "gzip"
        response["Content-Length"] = str(len(content))
    patch_vary_headers(response, ("Accept-Encoding",))
    return response


def _weak_if_gzipped(response: HttpResponse) -> HttpResponse:
    """A compressed body is not the one the ETag names: weak, as GZipMiddleware marks what it
    compresses (it leaves alone what the cache or a feed compressed)."""
    etag = response.get("ETag", "")
    if response.get("Content-Encoding") == "gzip" and etag.startswith('"'):
        response["ETag"] = "W/" + etag
    return response


def public(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A public page or feed: the same for every reader, so it can be revalidated, cached here
    and cached by a proxy."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        refused = methods.refuse_unsafe(request)
        if refused is not None:
            return refused
        key = _page_key(request) if settings.PAGE_CACHE else None
        conditional = "if-none-match" in request.headers or "if-modified-since" in request.headers
        entry = None
        if key is None or conditional:
            site = state.current(request)
        else:
            # The state and the page in one round trip to Redis.
            site, entry = state.current_with(request, key)
        etag = version_tag(site)
        unchanged = _unchanged(request, site, etag)
        if unchanged is not None:
            return unchanged
        if key is not None:
            if conditional:
                entry = state.cache_get(key)
            # (An entry of another shape was kept by an older release of this code.)
            if isinstance(entry, tuple) and len(entry) == 5 and entry[0] == etag:
                return _weak_if_gzipped(_add_headers(_from_entry(request, entry), site, etag))
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        if key is not None and _cacheable(response):
            headers = [(name, response[name]) for name in KEPT_HEADERS if name in response]
            content = response.content
            if response.get("Content-Encoding") == "gzip":
                # A feed, compressed by its view from segments stored on save; compressed
                # again whole for the cache, once per version (a third smaller: the items'
                # repeats are found across them).
                packed = True
                content = compress_string(gzip.decompress(content))
                response.content = content
                response["Content-Length"] = str(len(content))
            else:
                # Kept compressed, as nearly every client asks: a cached page is not
                # compressed again on every request, and Redis holds a fraction of the bytes.
                packed = len(content) >= 200
                if packed:
                    content = compress_string(content)
            entry = (etag, response.status_code, headers, content, packed)
            state.cache_set(key, entry, settings.PAGE_CACHE_SECONDS)
        return _weak_if_gzipped(_add_headers(response, site, etag))

    # Nothing but GET and HEAD reaches the view, so there is nothing for CSRF to protect;
    # exempt, other methods get their 405 above instead of the CSRF check's 403.
    wrapped.csrf_exempt = True
    wrapped.public_page = True
    return wrapped


def not_modified(request: HttpRequest) -> HttpResponse | None:
    """The 304 for a conditional GET of a public page whose copy is current, else None.

    What NotModifiedMiddleware answers from, before sessions, authentication, messages and
    the rest of the stack run: a feed reader's or a proxy's poll of an unchanged page is the
    commonest request, and the answer depends on the site state alone (every public page's
    ETag is the state's version)."""
    if request.method not in ("GET", "HEAD") or not (
        "if-none-match" in request.headers or "if-modified-since" in request.headers
    ):
        return None
    language = translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
    with translation.override(language):
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return None
    if not getattr(match.func, "public_page", False):
        return None
    site = state.current(request)
    response = _unchanged(request, site, version_tag(site))
    if response is not None:
        # A 304 repeats the 200's Vary (RFC 9110, 15.4.5), and its language.
        response["Content-Language"] = language
        patch_vary_headers(response, ("Accept-Encoding",))
    return response


def _unchanged(request: HttpRequest, site: state.State, etag: str) -> HttpResponse | None:
    """The 304 (or 412) for a copy made at this state's version, else None."""
    response = get_conditional_response(
        request, etag=etag, last_modified=int(site.changed_at.timestamp())
    )
    return None if response is None else _add_headers(response, site, etag)
