"""The note: what editors write, and the rendering of its own body, made on save."""

from __future__ import annotations

import re
from datetime import datetime

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import connections, models, transaction
from django.db.models import Exists, F, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager
from taggit.models import Tag, TaggedItem

from notes import derive
from notes.models import links
from notes.models.papers import Paper, PaperFinding
from notes.models.rendered import Language, RenderedBody
from notes.models.taxonomy import Category, Series, unique_slug
from notes.rendering import (
    normalize_source,
)
from notes.rendering.markdown_ext import wiki_key

# A title's head ends at a full-width colon or a colon followed by a space ("BERT: Pre-…").
_TITLE_HEAD = re.compile(r"：|:\s")


class NoteQuerySet(models.QuerySet):
    def published(self, now: datetime | None = None) -> NoteQuerySet:
        """The notes anonymous readers may see: published, and their publish time has come.

        Every public page, feed, search and sitemap starts here; a scheduled note goes live
        by the clock alone, with no cron job.
        """
        return self.filter(status=Note.Status.PUBLISHED, published_at__lte=now or timezone.now())

    def with_tag(self, tag: Tag) -> NoteQuerySet:
        """The notes that have this tag, so that a tag's first page costs the same however
        many notes the site has.

        On PostgreSQL ``filter(tags=tag)`` joins through ``object_id::bigint``, a cast no
        index serves, and sorts every note of the tag; EXISTS walks the notes newest first
        and stops at the page. SQLite's join has no cast and already walks them that way
        (docs/benchmarks.md has the measurements)."""
        if connections[self.db].vendor != "postgresql":
            return self.filter(tags=tag)
        content_type = ContentType.objects.get_for_model(Note)
        tagged = TaggedItem.objects.filter(
            content_type=content_type, object_id=OuterRef("pk"), tag=tag
        )
        return self.filter(Exists(tagged))

    def in_series_order(self) -> NoteQuerySet:
        """A series' notes as its editor ordered them; unnumbered ones follow by date."""
        return self.order_by(
            F("series_position").asc(nulls_last=True), "published_at", "created_at", "id"
        )

    def for_listing(self) -> NoteQuerySet:
        """What a list item shows, in a fixed number of queries however many notes."""
        return self.select_related("category").prefetch_related("tags", "paper_links__paper")


class Note(RenderedBody):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    Language = Language

    title = models.CharField(_("title"), max_length=300)
    short_title = models.CharField(
        _("short title"),
        max_length=100,
        blank=True,
        help_text=_(
            "How [[links]] to this note read in a sentence, e.g. “DreamFusion”. Left blank, "
            "the part of the title before a colon is used."
        ),
    )
    slug = models.SlugField(
        _("slug"),
        max_length=200,
        unique=True,
        blank=True,
        allow_unicode=True,
        help_text=_("The note's URL. Left blank, it is made from the title (Chinese is kept)."),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="notes", verbose_name=_("category")
    )
    tags = TaggableManager(
        verbose_name=_("tags"), blank=True, help_text=_("Comma-separated; Chinese tags work.")
    )
    papers = models.ManyToManyField(
        Paper,
        through="NotePaper",
        related_name="notes",
        blank=True,
        verbose_name=_("papers"),
        help_text=_("The papers this note summarises."),
    )
    cites = models.ManyToManyField(
        Paper,
        related_name="cited_by",
        blank=True,
        editable=False,
        help_text="The papers its text cites ([@key]), from its rendering.",
    )
    series = models.ForeignKey(
        Series,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notes",
        verbose_name=_("series"),
        help_text=_("A reading path this note is part of."),
    )
    series_position = models.PositiveIntegerField(
        _("position in series"),
        null=True,
        blank=True,
        help_text=_(
            "1 for the first part. Left blank, the note follows the numbered ones by date."
        ),
    )
    # The same tag rows as a plain relation, so revisions (notes/revisions.py) can store them.
    tagged_items = GenericRelation(TaggedItem, related_query_name="note")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notes",
        verbose_name=_("author"),
    )
    summary = models.TextField(
        _("summary"),
        blank=True,
        help_text=_("Plain text for lists and feeds. Left blank, an excerpt of the body is used."),
    )
    body = models.TextField(
        _("body"), blank=True, help_text=_("Markdown, with $math$, [[links to notes]] and figures.")
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=Language.choices,
        help_text=_("The note's language. Left blank, it is detected from the prose."),
    )
    # The title as [[wiki links]] match it (case- and space-insensitive).
    title_key = models.CharField(max_length=300, editable=False, default="", db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(
        _("publish date"),
        null=True,
        blank=True,
        help_text=_(
            "Left blank, the note is dated the moment it is published. "
            "A published note with a future date stays hidden until then."
        ),
    )
    extra_front_matter = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text="Front-matter keys the importer does not know yet, kept for export.",
    )
    # What cards and the note page show of other objects, written by notes.derive so a list
    # page reads its notes in one query.
    tag_data = models.JSONField(
        editable=False, default=list, help_text="The note's tags as [name, slug] pairs."
    )
    paper_data = models.JSONField(
        editable=False, default=list, help_text="The note's papers' fields, in their order."
    )
    related_data = models.JSONField(
        editable=False,
        default=list,
        help_text="[note id, score] of the notes sharing its tags, best first (notes.related).",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = NoteQuerySet.as_manager()

    class Meta:
        # Undated drafts first in the admin, on every database.
        ordering = [F("published_at").desc(nulls_first=True), "-id"]
        get_latest_by = "published_at"
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        indexes = [
            models.Index(fields=["status", "-published_at", "-id"], name="note_public_idx"),
            models.Index(
                fields=["category", "status", "-published_at", "-id"], name="note_category_idx"
            ),
            # A series' published parts: without it SQLite walks every published note.
            models.Index(fields=["series", "status", "-published_at"], name="note_series_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.body = normalize_source(self.body)
        self.summary = normalize_source(self.summary).strip()
        if not self.slug:
            self.slug = unique_slug(Note, self.title, exclude_pk=self.pk, fallback="note")
        self.title_key = wiki_key(self.title)
        if self.status == self.Status.PUBLISHED and self.published_at is None:
            # Published without a date the editor chose: dated now, never backdated.
            self.published_at = timezone.now()
        before = self.pk and Note.objects.filter(pk=self.pk).values("slug", "title_key").first()
        result = self.render()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {
                *update_fields,
                *self.RENDERED_FIELDS,
                "updated_at",
                "published_at",
            }
        names: set[str] = set()
        if before is None or before != {"slug": self.slug, "title_key": self.title_key}:
            # New or renamed: notes whose [[links]] name the old or new title or slug are
            # rendered again, so no link stays missing or points at the old address.
            names = {self.slug, self.title_key, *(before.values() if before else ())}
        # No savepoint of its own: a failure here fails the caller's transaction anyway.
        with transaction.atomic(savepoint=False):
            super().save(*args, **kwargs)
            links.remember_old_names(self, before)
            links.store_links(self, result, new=before is None)
            derive.changed([self.pk], names)

    def get_absolute_url(self) -> str:
        return reverse("notes:detail", kwargs={"slug": self.slug})

    def rerender(self) -> None:
        """Re-render and store without touching updated_at: not an edit readers should see."""
        result = self.render()
        with transaction.atomic():
            Note.objects.filter(pk=self.pk).update(
                **{name: getattr(self, name) for name in self.RENDERED_FIELDS}
            )
            links.store_links(self, result)
            derive.changed([self.pk])

    @property
    def has_references(self) -> bool:
        """Whether its text cites papers (its rendering ends with their list): no query."""
        return 'class="references"' in self.body_html

    @property
    def tag_links(self) -> list[dict[str, str]]:
        return [{"name": name, "slug": slug} for name, slug in self.tag_data]

    @property
    def paper_list(self) -> list[Paper]:
        """The note's papers from what it stores (no query): for its page and its JSON-LD."""
        papers = []
        for fields in self.paper_data:
            fields = dict(fields)
            notices = fields.pop("notices", [])
            paper = Paper(**fields)
            # Accepted findings (check_papers), read in the interface's language.
            paper.notices = [
                PaperFinding(kind=kind, detail=detail).notice for kind, detail in notices
            ]
            papers.append(paper)
        return papers

    @property
    def link_text(self) -> str:
        """How [[links]] to this note read in running text: the editor's short title, else the
        part of the title before a colon ("DreamFusion：用 2D 扩散…" -> "DreamFusion")."""
        if self.short_title.strip():
            return self.short_title.strip()
        head = _TITLE_HEAD.split(self.title, maxsplit=1)[0].strip()
        return head or self.title

    @property
    def is_public(self) -> bool:
        # A published note is dated on save; a form shown again before that has no date yet.
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    @property
    def is_scheduled(self) -> bool:
        return (
            bool(self.published_at) and self.status == self.Status.PUBLISHED and not self.is_public
        )

    @property
    def author_name(self) -> str:
        if self.author is None:
            return ""
        return self.author.get_full_name() or self.author.get_username()

    @property
    def was_updated(self) -> bool:
        """Readers see an 'updated' date only when it is a later day than the publish date."""
        if self.published_at is None:  # an undated draft, seen in a staff preview
            return False
        return timezone.localdate(self.updated_at) > timezone.localdate(self.published_at)


# An import or a bulk action derives once for all it changed (notes.derive).
derived_once = derive.batch


def rerender_linking_notes(names: set[str], *, exclude_pk: int | None = None) -> None:
    """Render again the notes whose [[links]] name any of these titles or slugs."""
    derive.changed(names=names)
