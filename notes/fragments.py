"""A note's list item ("card") in each interface language, rendered once when the note, its
category, tags or papers change, and read by every list page as stored HTML.

A card belongs to a build (``BUILD``: the card templates, the translations and
``CARD_VERSION``). After a deploy that changes any of them, a card of an older build is
rendered again the first time a page shows it (and stored), so a new translation never
shows next to an old one; ``manage.py rerender_notes`` renews them all at once.
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

# Raise when what a card shows changes in code rather than in a template.
CARD_VERSION = 1
CARD_TEMPLATES = ("includes/note_card_head.html", "includes/tag_list.html")
# What a list page reads of each note: the card and what goes between its two halves.
LIST_FIELDS = ("id", "cards", "excerpt", "lang")


def _build() -> str:
    """A digest of everything a card is made of besides the note's own data."""
    digest = hashlib.sha256(str(CARD_VERSION).encode())
    folders = [Path(folder) for folder in settings.TEMPLATES[0]["DIRS"]]
    for name in CARD_TEMPLATES:
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
