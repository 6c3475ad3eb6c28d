"""Paper details from arXiv and Crossref/DataCite, for the admin's Fetch button, the importer's
--fetch and check_papers; no database.

Two settings, read when a request is made (both optional):

- ``PAPER_FETCH_TIMEOUT``: seconds one request may take (default 10).
- ``PAPER_FETCH_MAILTO``: a contact address, sent in the User-Agent and to Crossref as
  ``mailto=`` so its "polite pool" serves us (default "", sent nowhere).

Answers are kept a day in Django's default cache, keyed by the normalized identifier; failures
are not kept. arXiv asks for one request every 3 seconds: the time of the last one is shared
through the same cache, so every process of the site keeps the spacing.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from importlib import metadata
from typing import Any
from urllib.parse import quote
from xml.etree.ElementTree import Element, ParseError

import httpx
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from notes.papers import normalize_arxiv, normalize_doi

ARXIV_API = "https://export.arxiv.org/api/query"
CROSSREF_API = "https://api.crossref.org/works/"
DATACITE_API = "https://api.datacite.org/dois/"

# arXiv's terms of use: "no more than one request every three seconds".
ARXIV_SPACING = 3.0
CACHE_SECONDS = 24 * 60 * 60
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

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_DOI_SHAPE = re.compile(r"10\.\d{4,9}/[^\s\x00-\x1f\x7f]+")
_ARXIV_DOI = re.compile(r"10\.48550/arxiv\.(?P<id>.+)")
_VERSION = re.compile(r"v(?P<version>\d+)$")


@dataclasses.dataclass(frozen=True)
class PaperDetails:
    """What the services say of one paper; every text is plain text (callers escape it)."""

    title: str
    authors: tuple[str, ...]
    year: int | None
    published: datetime.date | None
    venue: str
    abstract: str
    url: str
    pdf_url: str
    arxiv: str
    doi: str
    arxiv_version: int | None
    # Crossref's update-to entries (type, doi, label, date), then its updated-by ones, marked
    # "relation": "updated-by" (a correction or retraction of this work).
    updates: tuple[dict, ...]


class FetchError(Exception):
    """A paper's details could not be had; ``str(exc)`` is a sentence for editors."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class NotFound(FetchError):
    """The service answered, and it knows no such paper."""


class Unavailable(FetchError):
    """The service did not answer usefully this time (timeout, 5xx, rate limit): try later."""


class BadResponse(FetchError):
    """The service answered something that cannot be read as a paper."""


class UnknownIdentifier(FetchError, ValueError):
    """The text is neither an arXiv id nor a DOI; nothing was asked of any service."""


# ---------------------------------------------------------------------------------------------
# Identifiers


def identify(value: str) -> tuple[str, str]:
    """``("arxiv", "2106.09685")`` or ``("doi", "10.1038/nature14236")`` from what an editor
    pastes: a bare id, ``arXiv:…v2``, an arxiv.org or doi.org address, ``doi:…``."""
    text = " ".join(str(value or "").split())
    # Addresses pasted without their scheme read as the same address.
    if re.match(r"(?:www\.|export\.)?arxiv\.org/|(?:dx\.|www\.)?doi\.org/", text, re.IGNORECASE):
        text = "https://" + text
    text = re.sub(r"^(https?://)www\.doi\.org/", r"\1doi.org/", text, flags=re.IGNORECASE)
    arxiv = normalize_arxiv(text)
    if arxiv:
        return "arxiv", arxiv
    doi = normalize_doi(text)
    if doi and _DOI_SHAPE.fullmatch(doi):
        return "doi", doi
    raise UnknownIdentifier(
        _(
            "Not an arXiv id or a DOI: give e.g. 2106.09685, arXiv:2106.09685v2, "
            "10.1038/nature14236 or a doi.org address."
        )
    )


def _arxiv_id(value: str) -> str:
    kind, identifier = identify(value)
    if kind != "arxiv":
        raise UnknownIdentifier(
            _("Not an arXiv id: use e.g. 2106.09685, arXiv:2106.09685v2 or an arxiv.org URL.")
        )
    return identifier


def _doi(value: str) -> str:
    kind, identifier = identify(value)
    if kind != "doi":
        raise UnknownIdentifier(_("Not a DOI: it starts with 10. (e.g. 10.1038/nature14236)."))
    return identifier


def _doi_url(doi: str) -> str:
    # A DOI may hold characters a URL may not (<, >, ", spaces are refused earlier).
    return "https://doi.org/" + quote(doi, safe="/:;()")


# ---------------------------------------------------------------------------------------------
# Fetching


def fetch(value: str, *, client: httpx.Client | None = None) -> PaperDetails:
    """The details of the paper an editor names by arXiv id or DOI (any spelling ``identify``
    reads). Raises ``FetchError`` (``NotFound``, ``Unavailable``, ``BadResponse``,
    ``UnknownIdentifier``) with a message for the editor."""
    kind, identifier = identify(value)
    if kind == "arxiv":
        return fetch_arxiv(identifier, client=client)
    return fetch_doi(identifier, client=client)


def fetch_arxiv(arxiv_id: str, *, client: httpx.Client | None = None) -> PaperDetails:
    """A paper from arXiv's API, by id (versions are ignored: the answer is the latest)."""
    arxiv_id = _arxiv_id(arxiv_id)
    return _cached(f"arxiv:{arxiv_id}", lambda: _fetch_arxiv(arxiv_id, client))


def fetch_doi(doi: str, *, client: httpx.Client | None = None) -> PaperDetails:
    """A paper from Crossref by DOI; arXiv's own DOIs (10.48550/arXiv.…) and DOIs Crossref does
    not know are asked of DataCite, where they are registered."""
    doi = _doi(doi)
    return _cached(f"doi:{doi}", lambda: _fetch_doi(doi, client))


def _cached(key: str, fetcher: Callable[[], PaperDetails]) -> PaperDetails:
    # Hashed: a DOI may be longer or stranger than a cache key may be.
    cache_key = _CACHE_PREFIX + hashlib.sha256(key.encode()).hexdigest()
    kept = cache.get(cache_key)
    if isinstance(kept, dict):
        try:
            return PaperDetails(**kept)
        except TypeError:
            pass  # another shape: ask again
    details = fetcher()
    cache.set(cache_key, dataclasses.asdict(details), CACHE_SECONDS)
    return details


def _fetch_arxiv(arxiv_id: str, client: httpx.Client | None) -> PaperDetails:
    _space_arxiv_requests()
    status, body = _get(
        client, "arXiv", ARXIV_API, accept="application/atom+xml", params={"id_list": arxiv_id}
    )
    # arXiv answers an unknown or malformed id with an "Error" entry, with 200 (older API) or
    # 400 (since 2025); the body tells which.
    if status not in (200, 400):
        raise BadResponse(_unexpected_status("arXiv", status))
    try:
        details = parse_arxiv(body)
    except NotFound as exc:
        raise NotFound(_("arXiv has no paper with the id %(id)s.") % {"id": arxiv_id}) from exc
    if status != 200:
        raise BadResponse(_unexpected_status("arXiv", status))
    return details


def _fetch_doi(doi: str, client: httpx.Client | None) -> PaperDetails:
    arxiv_doi = _ARXIV_DOI.fullmatch(doi)
    if arxiv_doi:
        try:
            return _fetch_datacite(doi, client)
        except FetchError as first:
            # DataCite down or not yet holding a new paper: arXiv itself has it.
            arxiv_id = normalize_arxiv(arxiv_doi.group("id"))
            if not arxiv_id:
                raise
            try:
                details = _fetch_arxiv(arxiv_id, client)
            except FetchError as second:
                raise second from first
            return dataclasses.replace(details, doi=doi)
    try:
        return _fetch_crossref(doi, client)
    except NotFound as first:
        # Crossref knows only its own DOIs; datasets and many preprints are DataCite's.
        try:
            return _fetch_datacite(doi, client)
        except NotFound:
            raise first from None


def _fetch_crossref(doi: str, client: httpx.Client | None) -> PaperDetails:
    mailto = _mailto()
    params = {"mailto": mailto} if mailto else None
    status, body = _get(
        client,
        "Crossref",
        CROSSREF_API + quote(doi, safe="/"),
        accept="application/json",
        params=params,
    )
    if status in (404, 410):
        raise NotFound(_not_registered(doi))
    if status != 200:
        raise BadResponse(_unexpected_status("Crossref", status))
    return parse_crossref(body)


def _fetch_datacite(doi: str, client: httpx.Client | None) -> PaperDetails:
    status, body = _get(
        client, "DataCite", DATACITE_API + quote(doi, safe="/"), accept="application/vnd.api+json"
    )
    if status in (404, 410):
        raise NotFound(_not_registered(doi))
    if status != 200:
        raise BadResponse(_unexpected_status("DataCite", status))
    return parse_datacite(body)


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


# ---------------------------------------------------------------------------------------------
# Parsers: one answer in, PaperDetails out; no network, no cache.


def _collapse(text: str | None) -> str:
    return " ".join(str(text or "").split())


def _unreadable(service: str) -> BadResponse:
    return BadResponse(
        _("%(service)s sent an answer that could not be read.") % {"service": service}
    )


def _untitled(service: str) -> BadResponse:
    return BadResponse(_("%(service)s sent no title for this paper.") % {"service": service})


def _text(parent: Element, path: str) -> str:
    # All the text, even of an element nested where arXiv never nests one: a title is text.
    element = parent.find(path)
    return _collapse("".join(element.itertext())) if element is not None else ""


def _date(text: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(text or "")[:10])
    except ValueError:
        return None


def _web_link(value: Any) -> str:
    """``value`` when it is an http(s) address; what a page may link to."""
    text = str(value or "").strip()
    return text if re.fullmatch(r"https?://[^\s\x00-\x1f\x7f]+", text, re.IGNORECASE) else ""


def parse_arxiv(atom: bytes) -> PaperDetails:
    """The first entry of an arXiv API answer (Atom). ``NotFound`` for arXiv's "Error" entry or
    an empty feed; ``BadResponse`` for what is not such a feed."""
    try:
        # defusedxml: no entity expansion, no DTD, no external references.
        root = fromstring(atom)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise _unreadable("arXiv") from exc
    if root.tag != f"{_ATOM}feed":
        raise _unreadable("arXiv")
    entry = root.find(f"{_ATOM}entry")
    if entry is None:
        raise NotFound(_("arXiv has no paper with this id."))
    entry_id = _text(entry, f"{_ATOM}id")
    if "arxiv.org/api/errors" in entry_id.lower():
        raise NotFound(
            _("arXiv has no paper with this id (%(reason)s).")
            % {"reason": _text(entry, f"{_ATOM}summary") or entry_id}
        )
    arxiv = normalize_arxiv(entry_id)
    if not arxiv:
        raise _unreadable("arXiv")
    title = _text(entry, f"{_ATOM}title")
    if not title:
        raise _untitled("arXiv")
    version = _VERSION.search(entry_id)
    published = _date(entry.findtext(f"{_ATOM}published"))
    return PaperDetails(
        title=title,
        authors=tuple(
            name
            for author in entry.findall(f"{_ATOM}author")
            if (name := _text(author, f"{_ATOM}name"))
        ),
        year=published.year if published else None,
        published=published,
        venue=_text(entry, f"{_ARXIV}journal_ref"),
        abstract=_text(entry, f"{_ATOM}summary"),
        url=f"https://arxiv.org/abs/{arxiv}",
        pdf_url=_arxiv_pdf(entry, arxiv),
        arxiv=arxiv,
        doi=normalize_doi(_text(entry, f"{_ARXIV}doi")),
        arxiv_version=int(version.group("version")) if version else None,
        updates=(),
    )


def _arxiv_pdf(entry: Element, arxiv: str) -> str:
    # The feed's own link (it names the version), on https; never an address off arxiv.org.
    for link in entry.findall(f"{_ATOM}link"):
        if link.get("title") == "pdf" or link.get("type") == "application/pdf":
            href = _web_link(link.get("href"))
            if re.match(r"https?://(?:export\.)?arxiv\.org/pdf/", href, re.IGNORECASE):
                return re.sub(r"^http://(?:export\.)?", "https://", href, flags=re.IGNORECASE)
    return f"https://arxiv.org/pdf/{arxiv}"


def _json(payload: bytes, service: str) -> dict:
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _unreadable(service) from exc
    if not isinstance(data, dict):
        raise _unreadable(service)
    return data


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _first_text(value: Any) -> str:
    """The first non-empty text of a Crossref list field (titles, container titles)."""
    items = value if isinstance(value, list) else [value]
    return next((_collapse(item) for item in items if isinstance(item, str) and item.strip()), "")


def _date_parts(value: Any) -> tuple[int | None, datetime.date | None]:
    """Year and full date of a Crossref date (``{"date-parts": [[2020, 1, 17]]}``); a date
    known only to the month has a year but no date."""
    rows = _list(value.get("date-parts") if isinstance(value, dict) else None)
    parts = _list(rows[0]) if rows else []
    numbers = []
    for part in parts:
        if not isinstance(part, int) or isinstance(part, bool):
            break
        numbers.append(part)
    year = numbers[0] if numbers else None
    if len(numbers) >= 3:
        try:
            return year, datetime.date(*numbers[:3])
        except ValueError:
            pass
    return year, None


# Elements that end a run of words; inline ones (italic, sub, sup…) join their neighbours, so
# "H<jats:sub>2</jats:sub>O" stays "H2O".
# fmt: off
_BLOCKS = frozenset({
    "p", "sec", "title", "list", "list-item", "break", "br", "div", "abstract", "label",
    "caption", "disp-quote", "disp-formula", "table", "tr", "td", "th", "li", "ul", "ol",
})
# fmt: on


class _TextOnly(HTMLParser):
    """The text of JATS/HTML markup; a title element (``<jats:title>Abstract</jats:title>``) is
    a heading, not part of the abstract."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        name = tag.rsplit(":", 1)[-1]
        if name == "title":
            self.skipping += 1
        if name in _BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        name = tag.rsplit(":", 1)[-1]
        if name == "title" and self.skipping:
            self.skipping -= 1
        if name in _BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def _jats_text(markup: str) -> str:
    parser = _TextOnly()
    parser.feed(markup)
    parser.close()
    return _collapse("".join(parser.parts))


def _crossref_author(author: Any) -> str:
    if not isinstance(author, dict):
        return ""
    given, family = _collapse(author.get("given")), _collapse(author.get("family"))
    return _collapse(f"{given} {family}") if family else _collapse(author.get("name")) or given


def _crossref_arxiv(message: dict) -> str:
    # A journal version names its arXiv preprint among its relations.
    relations = message.get("relation")
    for item in _list(relations.get("has-preprint") if isinstance(relations, dict) else None):
        if not isinstance(item, dict):
            continue
        value = str(item.get("id") or "")
        match = _ARXIV_DOI.fullmatch(normalize_doi(value))
        arxiv = normalize_arxiv(match.group("id") if match else value)
        if arxiv and (match or item.get("id-type") == "arxiv"):
            return arxiv
    return ""


def parse_crossref(payload: bytes) -> PaperDetails:
    """A Crossref ``/works/<doi>`` answer (JSON)."""
    message = _json(payload, "Crossref").get("message")
    if not isinstance(message, dict):
        raise _unreadable("Crossref")
    title = _first_text(message.get("title"))
    if not title:
        raise _untitled("Crossref")
    doi = normalize_doi(str(message.get("DOI") or ""))
    year, published = _date_parts(message.get("issued"))
    abstract = message.get("abstract")
    pdf_url = next(
        (
            url
            for link in _list(message.get("link"))
            if isinstance(link, dict)
            and link.get("content-type") == "application/pdf"
            and (url := _web_link(link.get("URL")))
        ),
        "",
    )
    # "update-to": this work updates those (it is a new version, or a correction notice);
    # "updated-by": notices that update this work (a correction, a retraction).
    updates = tuple(
        {
            "type": str(update.get("type") or ""),
            "doi": normalize_doi(str(update.get("DOI") or "")),
            "label": _collapse(update.get("label")),
            "date": _date_parts(update.get("updated"))[1],
            **({"relation": "updated-by"} if relation == "updated-by" else {}),
        }
        for relation in ("update-to", "updated-by")
        for update in _list(message.get(relation))
        if isinstance(update, dict)
    )
    return PaperDetails(
        title=title,
        authors=tuple(
            name for author in _list(message.get("author")) if (name := _crossref_author(author))
        ),
        year=year,
        published=published,
        venue=_first_text(message.get("container-title")),
        abstract=_jats_text(abstract) if isinstance(abstract, str) else "",
        url=_doi_url(doi) if doi else "",
        pdf_url=pdf_url,
        arxiv=_crossref_arxiv(message),
        doi=doi,
        arxiv_version=None,
        updates=updates,
    )


def _datacite_author(creator: Any) -> str:
    if not isinstance(creator, dict):
        return ""
    given, family = _collapse(creator.get("givenName")), _collapse(creator.get("familyName"))
    if family:
        return _collapse(f"{given} {family}")
    name = _collapse(creator.get("name"))
    # "Family, Given" is how DataCite writes a person without the split fields.
    if creator.get("nameType") == "Personal" and name.count(",") == 1:
        family, given = (part.strip() for part in name.split(","))
        return _collapse(f"{given} {family}")
    return name


def _datacite_arxiv(attributes: dict, doi: str) -> str:
    match = _ARXIV_DOI.fullmatch(doi)
    if match:
        return normalize_arxiv(match.group("id"))
    for item in _list(attributes.get("identifiers")) + _list(
        attributes.get("alternateIdentifiers")
    ):
        if not isinstance(item, dict):
            continue
        kind = item.get("identifierType") or item.get("alternateIdentifierType")
        value = item.get("identifier") or item.get("alternateIdentifier")
        if str(kind).lower() == "arxiv" and normalize_arxiv(str(value or "")):
            return normalize_arxiv(str(value))
    return ""


def _datacite_published(attributes: dict) -> datetime.date | None:
    # First publication: arXiv's v1 submission; otherwise the date it was issued, if a full one.
    dates = [item for item in _list(attributes.get("dates")) if isinstance(item, dict)]
    for wanted in ({"dateType": "Submitted", "dateInformation": "v1"}, {"dateType": "Issued"}):
        for item in dates:
            if all(item.get(key) == value for key, value in wanted.items()):
                text = str(item.get("date") or "")
                if len(text) >= 10 and _date(text):
                    return _date(text)
    return None


def parse_datacite(payload: bytes) -> PaperDetails:
    """A DataCite ``/dois/<doi>`` answer (JSON:API)."""
    data = _json(payload, "DataCite").get("data")
    attributes = data.get("attributes") if isinstance(data, dict) else None
    if not isinstance(attributes, dict):
        raise _unreadable("DataCite")
    title = next(
        (
            _collapse(item.get("title"))
            for item in _list(attributes.get("titles"))
            if isinstance(item, dict) and _collapse(item.get("title"))
        ),
        "",
    )
    if not title:
        raise _untitled("DataCite")
    doi = normalize_doi(str(attributes.get("doi") or (data or {}).get("id") or ""))
    arxiv = _datacite_arxiv(attributes, doi)
    published = _datacite_published(attributes)
    try:
        year: int | None = int(attributes.get("publicationYear"))
    except (TypeError, ValueError):
        year = published.year if published else None
    container = attributes.get("container")
    version = str(attributes.get("version") or "")
    return PaperDetails(
        title=title,
        authors=tuple(
            name
            for creator in _list(attributes.get("creators"))
            if (name := _datacite_author(creator))
        ),
        year=year,
        published=published,
        venue=_collapse(container.get("title")) if isinstance(container, dict) else "",
        # DataCite's descriptions are plain text (arXiv's hold "V_max<17.5"): not markup.
        abstract=next(
            (
                _collapse(item.get("description"))
                for item in _list(attributes.get("descriptions"))
                if isinstance(item, dict) and item.get("descriptionType") == "Abstract"
            ),
            "",
        ),
        url=f"https://arxiv.org/abs/{arxiv}" if arxiv else (_doi_url(doi) if doi else ""),
        pdf_url=f"https://arxiv.org/pdf/{arxiv}" if arxiv else "",
        arxiv=arxiv,
        doi=doi,
        arxiv_version=int(version) if arxiv and version.isdigit() else None,
        updates=(),
    )


def paper_fields(details: PaperDetails) -> dict[str, Any]:
    """The fetched details as a paper record's fields (authors one per line, as editors type)."""
    return {
        "title": details.title,
        "authors": "\n".join(details.authors),
        "venue": details.venue,
        "year": details.year,
        "published": details.published,
        "url": details.url,
        "pdf_url": details.pdf_url,
        "arxiv": details.arxiv,
        "arxiv_version": details.arxiv_version,
        "doi": details.doi,
        "abstract": details.abstract,
    }


def fill_empty(
    current: dict[str, Any], fetched: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What fetching adds to a paper: values for its empty fields, and, apart, the fetched
    values of fields the editor already filled differently (kept, never overwritten)."""
    filled, differing = {}, {}
    for name, value in fetched.items():
        if value in ("", None):
            continue
        mine = current.get(name)
        if mine in ("", None):
            filled[name] = value
        elif str(mine).strip() != str(value).strip():
            differing[name] = value
    return filled, differing
