"""Crossref's /works API: one request for a DOI, and its JSON answer read as PaperDetails."""

from __future__ import annotations

import datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import httpx

from notes.paperfetch.details import BadResponse, NotFound, PaperDetails
from notes.paperfetch.identifiers import _ARXIV_DOI, _doi_url
from notes.paperfetch.network import _get, _mailto, _not_registered, _unexpected_status
from notes.paperfetch.reading import _collapse, _json, _list, _unreadable, _untitled, _web_link
from notes.papers import normalize_arxiv, normalize_doi

CROSSREF_API = "https://api.crossref.org/works/"


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
