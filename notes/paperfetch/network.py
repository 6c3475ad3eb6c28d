"""One GET to a paper service (timeouts, size bound, arXiv's spacing); tests patch seams here."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata

import httpx
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from notes.paperfetch.details import BadResponse, Unavailable

# arXiv's terms of use: "no more than one request every three seconds".
ARXIV_SPACING = 3.0
# A record is a few tens of kilobytes; anything far larger is not an answer to read.
MAX_BODY_BYTES = 5 * 1024 * 1024

# "v1" in the key: a change of PaperDetails' fields changes it, so no stale shape is read back.
_CACHE_PREFIX = "paperfetch:v2:"
_ARXIV_LAST_REQUEST = _CACHE_PREFIX + "arxiv-last-request"

# Set by tests to replay recorded answers (httpx.MockTransport) where no client is passed in:
# the admin's Fetch button, the importer. None: the network.
transport: httpx.BaseTransport | None = None

# Patched by tests: nothing sleeps for real, and the spacing asked for can be read.
sleep: Callable[[float], None] = time.sleep
clock: Callable[[], float] = time.time


def _not_registered(doi: str) -> str:
    return _("No paper is registered under the DOI %(doi)s.") % {"doi": doi}


def _unexpected_status(service: str, status: int) -> str:
    return _("%(service)s answered with HTTP %(status)s, which is not a paper.") % {
        "service": service,
        "status": status,
    }


def _space_arxiv_requests() -> None:
    """Wait until 3 seconds after the site's previous arXiv request, whichever process made it;
    the slot is taken before waiting, so two processes do not both wait for the same one."""
    now = clock()
    if cache.add(_ARXIV_LAST_REQUEST, now, timeout=60):
        return
    last = cache.get(_ARXIV_LAST_REQUEST)
    slot = max(now, float(last) + ARXIV_SPACING) if isinstance(last, int | float) else now
    cache.set(_ARXIV_LAST_REQUEST, slot, timeout=60)
    if slot > now:
        sleep(slot - now)


def _user_agent() -> str:
    try:
        version = metadata.version("research-notes")
    except metadata.PackageNotFoundError:
        version = "0"
    mailto = _mailto()
    return f"research-notes/{version}" + (f" (mailto:{mailto})" if mailto else "")


def _mailto() -> str:
    # One line: a header cannot hold a line break.
    return " ".join(str(getattr(settings, "PAPER_FETCH_MAILTO", "") or "").split())


@contextmanager
def _client(client: httpx.Client | None) -> Iterator[httpx.Client]:
    if client is not None:
        yield client
        return
    with httpx.Client(transport=transport) as own:
        yield own


def _get(
    client: httpx.Client | None,
    service: str,
    url: str,
    *,
    accept: str,
    params: dict | None = None,
) -> tuple[int, bytes]:
    """Status and body of one GET; whatever means "not now" becomes ``Unavailable``."""
    timeout = float(getattr(settings, "PAPER_FETCH_TIMEOUT", 10))
    # Headers and timeout on the request itself: a client handed in by the caller sends them too.
    headers = {"User-Agent": _user_agent(), "Accept": accept}
    try:
        with (
            _client(client) as http,
            http.stream(
                "GET", url, params=params, headers=headers, timeout=timeout, follow_redirects=True
            ) as response,
        ):
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_BODY_BYTES:
                    raise BadResponse(_("%(service)s sent far too much.") % {"service": service})
            status = response.status_code
    except httpx.TimeoutException as exc:
        raise Unavailable(
            _("%(service)s did not answer in time; try again in a minute.") % {"service": service}
        ) from exc
    except httpx.HTTPError as exc:
        raise Unavailable(
            _("%(service)s could not be reached; try again later.") % {"service": service}
        ) from exc
    # arXiv's rate limiter answers a bare "Rate exceeded." (recorded with 429); the words are
    # enough, whatever status they come with.
    if status == 429 or bytes(body).strip() == b"Rate exceeded.":
        raise Unavailable(
            _("%(service)s is asking for fewer requests; try again in a minute.")
            % {"service": service}
        )
    if status >= 500:
        raise Unavailable(
            _("%(service)s answered with a server error (HTTP %(status)s); try again later.")
            % {"service": service, "status": status}
        )
    return status, bytes(body)
