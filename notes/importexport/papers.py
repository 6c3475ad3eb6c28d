"""Importing papers: a note file's paper records matched to the site's papers, or made
(fetched from arXiv or Crossref with --fetch)."""

from __future__ import annotations

from contextvars import ContextVar

from django.utils import translation

from notes import paperfetch
from notes.importexport.reading import NoteFileError
from notes.models import Paper

# Set by import_paths(fetch=True): a paper named only by its identifier is fetched.
_fetch_papers: ContextVar[bool] = ContextVar("fetch_papers", default=False)


def shared_paper(record: dict) -> Paper:
    """The site's record of this paper, found by arXiv id, DOI or key (a paper without any,
    by its title and year), or made from the file. A record already on the site keeps its
    values; the file only fills its empty fields. A paper named only by its identifier
    (``paper: arxiv:2106.09685``) must be on the site already, or be fetched (--fetch)."""
    if not record.get("title"):
        return _identified_paper(record)
    found = None
    if record.get("arxiv"):
        found = Paper.objects.filter(arxiv=record["arxiv"]).first()
    if found is None and record.get("doi"):
        found = Paper.objects.filter(doi=record["doi"]).first()
    if found is None and record.get("key"):
        found = Paper.objects.filter(key=record["key"]).first()
    # A key found nowhere on the site names another paper, even with the same title (two
    # records the site keeps apart, e.g. hoffmann2022chinchilla and its -b).
    if found is None and not any(record.get(name) for name in ("arxiv", "doi", "key")):
        found = Paper.objects.filter(
            title=record["title"], year=record.get("year"), arxiv="", doi=""
        ).first()
    if found is None:
        paper = Paper(**record)
        paper.save()
        return paper
    empty = [
        name
        for name, value in record.items()
        if value not in ("", None)
        and getattr(found, name) in ("", None)
        # An id another record holds stays with it (the file then names two records).
        and not (
            name in ("arxiv", "doi", "key")
            and Paper.objects.filter(**{name: value}).exclude(pk=found.pk).exists()
        )
    ]
    for name in empty:
        setattr(found, name, record[name])
    if empty:
        found.save(update_fields=empty)
    return found


def _identified_paper(record: dict) -> Paper:
    named = f"arxiv:{record['arxiv']}" if record.get("arxiv") else f"doi:{record.get('doi')}"
    found = Paper.objects.find(record.get("arxiv") or record.get("doi") or "")
    if found is not None:
        return found
    if not _fetch_papers.get():
        raise NoteFileError(
            f"paper {named} is not on the site yet: give its title, or import with --fetch "
            "to fetch its details"
        )
    try:
        # Its messages in the importer's language (English), whatever the site's default.
        with translation.override("en"):
            details = paperfetch.fetch(record.get("arxiv") or record.get("doi"))
    except paperfetch.FetchError as exc:
        raise NoteFileError(f"paper {named}: its details could not be fetched: {exc}") from exc
    fields = {k: v for k, v in paperfetch.paper_fields(details).items() if v not in ("", None)}
    # Another spelling of an id the site has (the DOI of an arXiv paper on the site).
    found = (fields.get("arxiv") and Paper.objects.filter(arxiv=fields["arxiv"]).first()) or (
        fields.get("doi") and Paper.objects.filter(doi=fields["doi"]).first()
    )
    if found:
        return found
    paper = Paper(**{name: value[:_limit(name)] if isinstance(value, str) else value
                     for name, value in fields.items()})  # fmt: skip
    paper.save()
    return paper


def _limit(name: str) -> int | None:
    return getattr(Paper._meta.get_field(name), "max_length", None)
