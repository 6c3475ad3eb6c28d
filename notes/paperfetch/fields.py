"""Fetched details as a Paper record's fields, and what fetching may fill in of an edited one."""

from __future__ import annotations

from typing import Any

from notes.paperfetch.details import PaperDetails


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
