"""fetch(): an identifier to the service that holds it, answers kept a day in the cache."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable

import httpx
from django.core.cache import cache

from notes.paperfetch.arxiv import _fetch_arxiv
from notes.paperfetch.crossref import _fetch_crossref
from notes.paperfetch.datacite import _fetch_datacite
from notes.paperfetch.details import FetchError, NotFound, PaperDetails
from notes.paperfetch.identifiers import _ARXIV_DOI, _arxiv_id, _doi, identify
from notes.paperfetch.network import _CACHE_PREFIX
from notes.papers import normalize_arxiv

CACHE_SECONDS = 24 * 60 * 60


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
