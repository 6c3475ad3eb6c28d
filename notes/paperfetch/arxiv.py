"""arXiv's API: one request for an id, spaced 3 seconds apart, and its Atom answer read."""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, ParseError

import httpx
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.utils.translation import gettext as _

from notes.paperfetch.details import BadResponse, NotFound, PaperDetails
from notes.paperfetch.network import _get, _space_arxiv_requests, _unexpected_status
from notes.paperfetch.reading import _collapse, _date, _unreadable, _untitled, _web_link
from notes.papers import normalize_arxiv, normalize_doi

ARXIV_API = "https://export.arxiv.org/api/query"

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_VERSION = re.compile(r"v(?P<version>\d+)$")


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


def _text(parent: Element, path: str) -> str:
    # All the text, even of an element nested where arXiv never nests one: a title is text.
    element = parent.find(path)
    return _collapse("".join(element.itertext())) if element is not None else ""


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
