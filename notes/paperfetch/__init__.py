"""Paper details from arXiv and Crossref/DataCite, for the admin's Fetch button, the importer's
--fetch and check_papers; no database.

Two settings, read when a request is made (both optional):

- ``PAPER_FETCH_TIMEOUT``: seconds one request may take (default 10).
- ``PAPER_FETCH_MAILTO``: a contact address, sent in the User-Agent and to Crossref as
  ``mailto=`` so its "polite pool" serves us (default "", sent nowhere).

Answers are kept a day in Django's default cache, keyed by the normalized identifier; failures
are not kept. arXiv asks for one request every 3 seconds: the time of the last one is shared
through the same cache, so every process of the site keeps the spacing.

Modules: ``details`` (PaperDetails, errors), ``identifiers``, ``network`` (one GET, arXiv's
spacing), ``arxiv``, ``crossref``, ``datacite`` (a request and its parser each), ``fetching``
(fetch and the cache), ``fields`` (details to a Paper's fields). Tests replace
``network.transport``, ``network.sleep`` and ``network.clock``; they are not re-exported here,
since setting them on this package would not reach the code that reads them.
"""

from __future__ import annotations

from notes.paperfetch.arxiv import ARXIV_API, parse_arxiv
from notes.paperfetch.crossref import CROSSREF_API, parse_crossref
from notes.paperfetch.datacite import DATACITE_API, parse_datacite
from notes.paperfetch.details import (
    BadResponse,
    FetchError,
    NotFound,
    PaperDetails,
    Unavailable,
    UnknownIdentifier,
)
from notes.paperfetch.fetching import CACHE_SECONDS, fetch, fetch_arxiv, fetch_doi
from notes.paperfetch.fields import fill_empty, paper_fields
from notes.paperfetch.identifiers import identify
from notes.paperfetch.network import ARXIV_SPACING, MAX_BODY_BYTES

__all__ = [
    "ARXIV_API",
    "ARXIV_SPACING",
    "CACHE_SECONDS",
    "CROSSREF_API",
    "DATACITE_API",
    "MAX_BODY_BYTES",
    "BadResponse",
    "FetchError",
    "NotFound",
    "PaperDetails",
    "Unavailable",
    "UnknownIdentifier",
    "fetch",
    "fetch_arxiv",
    "fetch_doi",
    "fill_empty",
    "identify",
    "paper_fields",
    "parse_arxiv",
    "parse_crossref",
    "parse_datacite",
]
