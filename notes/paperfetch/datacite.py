"""DataCite's /dois API (arXiv's DOIs, datasets, preprints): one request and its answer read."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import quote

import httpx

from notes.paperfetch.details import BadResponse, NotFound, PaperDetails
from notes.paperfetch.identifiers import _ARXIV_DOI, _doi_url
from notes.paperfetch.network import _get, _not_registered, _unexpected_status
from notes.paperfetch.reading import _collapse, _date, _json, _list, _unreadable, _untitled
from notes.papers import normalize_arxiv, normalize_doi

DATACITE_API = "https://api.datacite.org/dois/"


def _fetch_datacite(doi: str, client: httpx.Client | None) -> PaperDetails:
    status, body = _get(
        client, "DataCite", DATACITE_API + quote(doi, safe="/"), accept="application/vnd.api+json"
    )
    if status in (404, 410):
        raise NotFound(_not_registered(doi))
    if status != 200:
        raise BadResponse(_unexpected_status("DataCite", status))
    return parse_datacite(body)


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
