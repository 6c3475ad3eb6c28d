"""What the site keeps beside its notes for readers: each note's search document and the site
state every public page reads (notes.delivery.state)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from taggit.models import Tag

from notes.rendering.plaintext import marked_text, unmarked
from notes.search.index import document_fields, latex_sources

if TYPE_CHECKING:
    from notes.models.note import Note
    from notes.models.papers import Paper
    from notes.models.taxonomy import Category


class SearchDocument(models.Model):
    """A note's search tokens (notes.search), one row per note and apart from it, so edits
    that do not change what is searchable never rewrite index entries. On PostgreSQL a
    generated, GIN-indexed ``vector`` column holds them; on SQLite an FTS5 table follows this
    one by triggers (migration 0005)."""

    note = models.OneToOneField(
        "notes.Note", on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    title = models.TextField(default="", help_text="Tokens of the title.")
    meta = models.TextField(
        default="", help_text="Tokens of tags, their aliases, the category and the papers."
    )
    summary = models.TextField(default="", help_text="Tokens of the summary.")
    body = models.TextField(default="", help_text="Tokens of the body's text and LaTeX.")
    text = models.TextField(
        default="", help_text="The body's text, each formula's LaTeX marked, for snippets."
    )
    version = models.PositiveSmallIntegerField(
        default=0, help_text="The tokenizer version that wrote this row."
    )

    WRITTEN = ("title", "meta", "summary", "body", "text", "version")

    class Meta:
        # Named in the admin when a note is deleted: the note's rows go with it.
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")

    def __str__(self) -> str:
        return gettext("Search document of note %(id)s") % {"id": self.note_id}

    @classmethod
    def for_note(
        cls,
        note: Note,
        *,
        tags: list[Tag],
        papers: list[Paper],
        category: Category | None,
        text: str | None = None,
    ) -> SearchDocument:
        """The search document of a note from its related rows (tags with their aliases
        prefetched): title, then tags, aliases, category and papers, then the summary, then
        the body's text and its formulas' LaTeX. ``text``, the body's marked text, may come
        from the stored document: extracting it from the HTML is most of the work."""
        meta = [
            *(tag.name for tag in tags),
            *(alias.name for tag in tags for alias in tag.aliases.all()),
            category.name if category else "",
            *(
                part
                for paper in papers
                for part in (paper.title, paper.authors, paper.venue, paper.arxiv, paper.doi)
                if part
            ),
        ]
        if text is None:
            text = marked_text(note.body_html)
        fields = document_fields(
            title=note.title,
            meta=meta,
            summary=note.summary,
            body_text=unmarked(text),
            latex=latex_sources(note.body_html),
        )
        return cls(note_id=note.pk, text=text, **fields)


class SiteState(models.Model):
    """One row: what every public page needs to know about the whole site, written by each
    change (notes.derive) so a page never counts or lists the whole site itself."""

    version = models.PositiveBigIntegerField(
        default=1,
        help_text="Raised by every change readers could see; ETags and cached pages carry it.",
    )
    changed_at = models.DateTimeField(
        default=timezone.now, help_text="When readers last saw something change."
    )
    navigation = models.JSONField(
        default=list, help_text="The categories as the header lists them: [id, name, slug]."
    )
    counts = models.JSONField(
        default=dict,
        help_text="Published notes in all, per category, per series and per month, and the "
        "scheduled notes' times and places (readers count them in once their time comes).",
    )

    def __str__(self) -> str:
        return f"Site state, version {self.version}"


class TagCount(models.Model):
    """How many published notes a tag has, written with the site state (tags can be many, so
    they are not in its JSON)."""

    tag = models.OneToOneField(
        Tag, on_delete=models.CASCADE, primary_key=True, related_name="public_count"
    )
    notes = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.tag}: {self.notes}"
