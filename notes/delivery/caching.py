"""Public pages and feeds: one conditional GET, one page cache and one Cache-Control, all keyed
by the site state's version (notes.delivery.state), so no copy outlives the change that makes
it wrong.

Views readers see are marked with ``public``. ``PageCacheMiddleware`` sits near the top of
the stack, above sessions, locale, CSRF, authentication and messages: per GET it reads the
state and the page in one cache round trip, answers ``If-None-Match``/``If-Modified-Since``
with a 304, or serves the kept page; otherwise the view renders it below and it is kept.
GZipMiddleware, just below, is the one place that compresses, so a kept page holds the
bytes that went out, once per encoding. Nothing per user is kept: a response that sets a
cookie or varies by one is passed on and never stored.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date

from notes.delivery import methods, state

_ACCEPTS_GZIP = re.compile(r"\bgzip\b")
KEPT_HEADERS = (
    "Content-Type", "Content-Language", "X-Robots-Tag", "Content-Disposition",
    "Content-Encoding", "Vary", "Content-Security-Policy", "X-Frame-Options",
)  # fmt: skip


# The repository: notes/delivery/caching.py is two folders below it.
ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def release() -> str:
    """What the code, templates and translations of this deployment are: a deploy that
    changes any of them starts every page's ETag and cache key afresh."""
    root = ROOT
    digest = hashlib.sha256(f"{settings.SITE_URL}|{settings.SITE_NAME}".encode())
    folders = [root / "notes", root / "site_config", *map(Path, settings.TEMPLATES[0]["DIRS"])]
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.suffix in (".py", ".html", ".xml", ".txt") and "migrations" not in path.parts:
                digest.update(path.read_bytes())
    for folder in settings.LOCALE_PATHS:
        for mo in sorted(Path(folder).glob("*/LC_MESSAGES/*.mo")):
            digest.update(mo.read_bytes())
    return digest.hexdigest()[:10]


def version_tag(site: state.State) -> str:
    """The ETag of every public page for this release and state. The time of the change is
    in it too: a database restored from a backup may count versions again from an older one."""
    return f'"{release()}-{site.tag}-{int(site.changed_at.timestamp() * 1e6):x}"'


def public(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page or feed that is the same for every reader: only GET and HEAD, no CSRF to guard,
    and its answer may be kept (``PageCacheMiddleware``)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        refused = methods.refuse_unsafe(request)
        if refused is not None:
            return refused
        response = view(request, *args, **kwargs)
        response.public_page = True
        return response

    # Nothing but GET and HEAD reaches the view: other methods get their 405 above instead
    # of the CSRF check's 403.
    wrapped.csrf_exempt = True
    return wrapped


def _cacheable(response: HttpResponse) -> bool:
    return (
        getattr(response, "public_page", False)
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "Cookie" not in response.get("Vary", "")
        and "private" not in response.get("Cache-Control", "")
    )


def _max_age(site: state.State) -> int:
    if site.next_publish_at is None:
        return settings.PAGE_MAX_AGE
    until = int((site.next_publish_at - timezone.now()).total_seconds()) + 1
    return max(1, min(settings.PAGE_MAX_AGE, until))


def _add_headers(response: HttpResponse, site: state.State, etag: str) -> HttpResponse:
    # A compressed body is not the one the ETag names: weak, as GZipMiddleware marks it.
    response["ETag"] = "W/" + etag if response.get("Content-Encoding") else etag
    response["Last-Modified"] = http_date(site.changed_at.timestamp())
    # A browser asks again every time (a 304 costs next to nothing), so nobody sees their
    # own old copy; a proxy or CDN may keep the page briefly, never past a scheduled note's
    # time, and a CDN that reads its own header (RFC 9213) may serve it a little longer
    # while it fetches a fresh one.
    max_age = _max_age(site)
    response["Cache-Control"] = f"public, max-age=0, s-maxage={max_age}"
    response["CDN-Cache-Control"] = (
        f"public, max-age={max_age}, stale-while-revalidate={settings.PAGE_STALE_WHILE_REVALIDATE}"
    )
    return response


class PageCacheMiddleware:
    """The page cache and conditional GET of public pages (see the module's docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.skip = tuple(settings.PAGE_CACHE_SKIP)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD") or request.path_info.startswith(self.skip):
            return self.get_response(request)
        language = translation.get_language_from_path(request.path_info)
        gzipped = bool(_ACCEPTS_GZIP.search(request.headers.get("accept-encoding", "")))
        path = f"{language or settings.LANGUAGE_CODE}|{int(gzipped)}|{request.get_full_path()}"
        key = "notes:page:" + hashlib.sha256(path.encode()).hexdigest()[:32]
        if settings.PAGE_CACHE:
            site, entry = state.current_with(request, key)
        else:
            site, entry = state.current(request), None
        etag = version_tag(site)
        if isinstance(entry, tuple) and len(entry) == 4 and entry[0] == etag:
            _etag, status, headers, content = entry
            response = HttpResponse(content, status=status)
            for name, value in headers:
                response[name] = value
            response["Content-Length"] = str(len(content))
            response = _add_headers(response, site, etag)
            return self._conditional(request, response) or response
        response = self.get_response(request)
        if not getattr(response, "public_page", False):
            return response
        if response.status_code != 200:
            return response
        patch_vary_headers(response, ("Accept-Encoding",))
        response = _add_headers(response, site, etag)
        if settings.PAGE_CACHE and _cacheable(response):
            headers = [(name, response[name]) for name in KEPT_HEADERS if name in response]
            entry = (etag, response.status_code, headers, response.content)
            cache.set(key, entry, settings.PAGE_CACHE_SECONDS)
        return self._conditional(request, response) or response

    @staticmethod
    def _conditional(request: HttpRequest, response: HttpResponse) -> HttpResponse | None:
        """The 304 (or 412) for a copy the client already has, with the 200's headers."""
        if response.status_code != 200:
            return None
        if "if-none-match" not in request.headers and "if-modified-since" not in request.headers:
            return None
        answer = get_conditional_response(
            request,
            etag=response["ETag"],
            last_modified=int(state.current(request).changed_at.timestamp()),
            response=response,
        )
        if answer is response:
            return None
        if "Content-Language" in response:  # a cache matches the 304 to its copy by it too
            answer["Content-Language"] = response["Content-Language"]
        return answer
