"""How to cite a note: a BibTeX ``@online`` entry (bibtexparser writes it), a one-line
citation and the Highwire Press ``citation_*`` meta tags that Zotero and Google Scholar read;
no database."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from notes.papers import bibtex_entry, bibtex_escape, bibtex_verbatim


@dataclass(frozen=True)
class Citable:
    """What a citation of a note says, taken from the note when its page is drawn."""

    title: str
    # Display names; none: the site is the author, as the page's JSON-LD says.
    authors: tuple[str, ...]
    site: str
    published: date
    updated: date | None
    url: str
    language: str
    slug: str
    pk: int

    @property
    def creators(self) -> tuple[str, ...]:
        return self.authors or (self.site,)

    @property
    def chinese(self) -> bool:
        return self.language.startswith("zh")


def bibtex_key(item: Citable) -> str:
    """``lora2026``: the slug's ASCII letters and digits, then the year (``note12-2026`` for a
    slug with none, as a Chinese one may be)."""
    ascii_slug = unicodedata.normalize("NFKD", item.slug).encode("ascii", "ignore").decode()
    word = re.sub(r"[^A-Za-z0-9]", "", ascii_slug)[:40] or f"note{item.pk}-"
    return f"{word}{item.published.year}"


def bibtex(item: Citable) -> str:
    """biblatex's ``@online``, written by bibtexparser: names, title and site in braces so case
    and CJK survive."""
    fields = [
        ("author", " and ".join("{" + bibtex_escape(name) + "}" for name in item.creators)),
        ("title", "{" + bibtex_escape(item.title) + "}"),
        ("organization", "{" + bibtex_escape(item.site) + "}"),
        ("date", item.published.isoformat()),
    ]
    if _later(item):
        fields.append(("note", f"Updated {item.updated.isoformat()}"))
    # The site's own address, verbatim as biblatex reads urls (no LaTeX escapes in it).
    fields.append(("url", bibtex_verbatim(item.url)))
    fields.append(("langid", "chinese" if item.chinese else "english"))
    return bibtex_entry("online", bibtex_key(item), fields)


def text_citation(item: Citable) -> str:
    """One line to paste: GB/T 7714's electronic-resource form for a Chinese note, an
    APA-like one otherwise (the note's language decides, not the reader's interface)."""
    names = ", ".join(item.creators)
    if item.chinese:
        updated = f"[{item.updated.isoformat()}]" if _later(item) else ""
        return (
            f"{names}. {item.title}[EB/OL]. {item.site}, {item.published.isoformat()}"
            f"{updated}. {item.url}."
        )
    day = f"{item.published:%B} {item.published.day}"
    return f"{names} ({item.published.year}, {day}). {item.title}. {item.site}. {item.url}"


def highwire_meta(item: Citable) -> list[tuple[str, str]]:
    """The ``citation_*`` tags, in the order Zotero's Embedded Metadata translator and Google
    Scholar's inclusion guidelines list them: title, each author, date, language, address."""
    tags = [("citation_title", item.title)]
    tags += [("citation_author", name) for name in item.creators]
    tags += [
        ("citation_publication_date", f"{item.published:%Y/%m/%d}"),
        ("citation_language", item.language),
        ("citation_public_url", item.url),
    ]
    return tags


def _later(item: Citable) -> bool:
    return item.updated is not None and item.updated > item.published
