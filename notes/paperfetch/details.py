"""What a fetch returns (PaperDetails) and the errors it raises, each a sentence for editors."""

from __future__ import annotations

import dataclasses
import datetime


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
