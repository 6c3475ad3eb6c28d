"""What a note shows of itself, rendered once when the note, its category, tags, papers or
series change, and read as stored HTML: its list item ("card") in each interface language,
which every list page shows, and the parts of its own page that depend on nothing else
(``Note.page``: meta tags, JSON-LD, the header, papers and contents).

Both belong to a build (``BUILD``: their templates, the translations, the site's address and
name, and ``CARD_VERSION``). After a deploy that changes any of them, a card or page of an
older build is rendered again the first time a page shows it (and stored), so a new
translation never shows next to an old one; ``manage.py rerender_notes`` renews them all at
once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from notes import chrome, seo

# Raise when what a card shows changes in code rather than in a template.
CARD_VERSION = 1
CARD_TEMPLATES = ("includes/note_card_head.html", "includes/tag_list.html")
# The parts of a note's page that show only the note itself (its category, tags, papers and
# series by name), rendered with it; the page adds what depends on other notes.
PAGE_PARTS = {
    "meta": "includes/note_page_meta.html",
    "head": "includes/note_page_head.html",
    "header": "includes/note_page_header.html",
    "intro": "includes/note_page_intro.html",
}
# The whole page around those parts, stored with them (``shell``) with marks where the
# request fills in what is shared by every page or depends on other notes (notes.chrome).
SHELL_TEMPLATES = (
    "notes/note_detail.html", "base.html", "includes/header.html",
    "includes/language_switcher.html",
)  # fmt: skip
SHELL_FILLS = frozenset({"head-links", "nav", "footer", "series", "body", "after", "neighbours"})
PAGE_TEMPLATES = (
    *PAGE_PARTS.values(), *SHELL_TEMPLATES, "includes/paper_card.html",
    "includes/math_head.html",
)  # fmt: skip
# What a list page reads of each note: the card and what goes between its two halves.
LIST_FIELDS = ("id", "cards", "excerpt", "lang")


def _build() -> str:
    """A digest of everything a card is made of besides the note's own data."""
    digest = hashlib.sha256(f"{CARD_VERSION}|{settings.SITE_URL}|{settings.SITE_NAME}".encode())
    folders = [Path(folder) for folder in settings.TEMPLATES[0]["DIRS"]]
    for name in (*CARD_TEMPLATES, *PAGE_TEMPLATES):
        for folder in folders:
            if (folder / name).exists():
                digest.update((folder / name).read_bytes())
    for folder in settings.LOCALE_PATHS:
        for mo in sorted(Path(folder).glob("*/LC_MESSAGES/django.mo")):
            digest.update(mo.read_bytes())
    return digest.hexdigest()[:12]


BUILD = _build()


def paper_fields(paper: Any) -> dict[str, Any]:
    """A paper as ``Note.paper_data`` keeps it: enough to show its card and cite it."""
    return {
        "pk": paper.pk,
        "title": paper.title,
        "authors": paper.authors,
        "venue": paper.venue,
        "year": paper.year,
        "url": paper.url,
        "doi": paper.doi,
        "arxiv": paper.arxiv,
        "code_url": paper.code_url,
    }


def render_cards(note: Any, *, category: Any, tags: list[list[str]], papers: list[dict]) -> dict:
    """The card's two halves in every language: the title and meta line, and the tag list
    (a list page puts the excerpt between them; search puts its snippet there)."""
    paper = papers[0] if papers else {}
    cards: dict[str, Any] = {"build": BUILD}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            head = render_to_string(
                "includes/note_card_head.html",
                {"note": note, "category": category, "paper": paper},
            )
            tag_list = render_to_string(
                "includes/tag_list.html",
                {"tags": [{"name": name, "slug": slug} for name, slug in tags]},
            )
        cards[code] = {"head": head.strip(), "tags": tag_list.strip()}
    return cards


def page_parts(
    note: Any, *, category: Any, tags: list[dict], papers: list, series: Any, preview: bool = False
) -> dict[str, SafeString]:
    """A note page's own parts in the active language: its meta tags, its head (math styles,
    JSON-LD), its header (title, meta line, tags) and what precedes the body (papers,
    contents)."""
    image = seo.first_image(note)
    context = {
        "note": note,
        "category": category,
        "tags": tags,
        "papers": papers,
        "preview": preview,
        "author_name": note.author_name,
        "preview_image": seo.absolute(None, image) if image else "",
        "json_ld": [
            seo.json_ld(data)
            for data in seo.note_json_ld(
                note, request=None, tags=tags, papers=papers, series=series, image=image
            )
        ],
    }
    return {
        name: mark_safe(render_to_string(template, context).strip())
        for name, template in PAGE_PARTS.items()
    }


def render_shell(note: Any, parts: dict[str, SafeString]) -> list[str] | None:
    """The note's whole page in the active language, split at its marks (text, name, text,
    …), from its parts; None when the marks are not exactly the expected ones."""
    path = note.get_absolute_url()
    url = seo.absolute(None, path)
    context = {
        **chrome.page_context(path),
        "shell": True,
        "note": note,
        "page": parts,
        "note_url": url,
        "canonical_url": url,
    }
    pieces = chrome.SHELL_MARK.split(render_to_string("notes/note_detail.html", context))
    names = pieces[1::2]
    if len(names) != len(SHELL_FILLS) or set(names) != SHELL_FILLS:
        return None
    return pieces


def render_page(note: Any, *, category: Any, tags: list[dict], papers: list, series: Any) -> dict:
    """``page_parts`` in every language, as ``Note.page`` keeps them."""
    page: dict[str, Any] = {"build": BUILD}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            parts = page_parts(note, category=category, tags=tags, papers=papers, series=series)
            page[code] = {**parts, "shell": render_shell(note, parts)}
    return page


def stored_page(page: dict, language: str | None = None) -> dict[str, SafeString] | None:
    """The stored parts in this language, or None when they must be rendered again."""
    language = language or translation.get_language()
    if not is_current(page) or language not in page:
        return None
    return {name: mark_safe(html) for name, html in page[language].items() if name in PAGE_PARTS}


def stored_shell(page: dict, language: str | None = None) -> list[str] | None:
    """The stored whole page in this language (see ``render_shell``), or None."""
    language = language or translation.get_language()
    if not is_current(page) or language not in page:
        return None
    return page[language].get("shell")


def is_current(cards: dict) -> bool:
    return cards.get("build") == BUILD


def card_parts(cards: dict, language: str | None = None) -> dict[str, str]:
    language = language or translation.get_language()
    return cards.get(language) or cards.get(settings.LANGUAGE_CODE) or {"head": "", "tags": ""}


def card_html(note: Any, language: str | None = None) -> SafeString:
    """The whole list item: head, excerpt, tags."""
    parts = card_parts(note.cards, language)
    excerpt = (
        f'<p class="note-excerpt" lang="{escape(note.lang)}">{escape(note.excerpt)}</p>'
        if note.excerpt
        else ""
    )
    return mark_safe(
        f'<article class="note-item">{parts["head"]}{excerpt}{parts["tags"]}</article>'
    )


def stale(notes: Iterable[Any]) -> list[int]:
    """The notes whose cards are of another build (or were never rendered)."""
    return [note.pk for note in notes if not is_current(note.cards)]
