from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connections, models, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager
from taggit.models import Tag, TaggedItem

from notes import feedxml, fragments, related, state
from notes.figures import FigureNotStored, figure_upload_to, remember_written, validate_figure
from notes.markdown_ext import (
    LinkTarget,
    RenderContext,
    RenderLimits,
    find_wiki_targets,
    wiki_key,
)
from notes.math.markup import inline_styles
from notes.papers import (
    arxiv_from_url,
    normalize_arxiv,
    normalize_doi,
    split_authors,
    to_bibtex,
    web_url,
)
from notes.plaintext import make_excerpt, plain_text, truncate_text
from notes.rendering import (
    Limit,
    LimitProblem,
    RenderResult,
    check_limits,
    normalize_source,
    render_markdown,
)
from notes.search.index import document_fields, latex_sources

_NON_SLUG = re.compile(r"[^\w\s-]", re.UNICODE)
# A title's head ends at a full-width colon or a colon followed by a space ("BERT: Pre-…").
_TITLE_HEAD = re.compile(r"：|:\s")


def make_slug(text: str, max_length: int = 200) -> str:
    """A readable, URL-safe slug that keeps Chinese characters.

    Punctuation becomes a separator first, so "LoRA：大模型的低秩适配" gives
    "lora-大模型的低秩适配" rather than gluing the two words together.
    """
    slug = slugify(_NON_SLUG.sub(" ", text), allow_unicode=True)
    return slug[:max_length].strip("-_")


def limit_message(problem: LimitProblem) -> str:
    """What the admin tells an editor whose body is over one of the rendering limits."""
    if problem.limit == Limit.LENGTH:
        return _(
            "The body has %(found)s characters; a note holds at most %(allowed)s. "
            "Split it into several notes."
        ) % {"found": f"{problem.found:,.0f}", "allowed": f"{problem.allowed:,.0f}"}
    if problem.limit == Limit.NESTING:
        return _(
            "Lists or quotes are nested %(found)s levels deep (line %(line)s); at most "
            "%(allowed)s levels are shown. Flatten them."
        ) % {
            "found": f"{problem.found:.0f}",
            "line": problem.line,
            "allowed": f"{problem.allowed:.0f}",
        }
    return _(
        "The body took more than %(seconds)s seconds to render. Look for brackets, backticks "
        "or math delimiters that are never closed, or split the note."
    ) % {"seconds": f"{problem.allowed:g}"}


def unique_slug(model: type[models.Model], text: str, *, exclude_pk=None, fallback: str) -> str:
    # Within the model's slug column, with room for a "-NN" suffix: a series title of 200
    # characters made a slug PostgreSQL refused (a 500 on save).
    limit = min(180, model._meta.get_field("slug").max_length - 6)
    base = make_slug(text, max_length=limit) or fallback
    candidates = model._default_manager.filter(slug__startswith=base)
    if exclude_pk is not None:
        candidates = candidates.exclude(pk=exclude_pk)
    taken = set(candidates.values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


class Category(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True, allow_unicode=True)
    description = models.TextField(
        _("description"), blank=True, help_text=_("Shown at the top of the category page.")
    )
    order = models.PositiveIntegerField(
        _("order"), default=0, help_text=_("Lower numbers come first in the navigation.")
    )

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = unique_slug(Category, self.name, exclude_pk=self.pk, fallback="category")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("notes:category", kwargs={"slug": self.slug})


class Series(models.Model):
    """A reading path: notes meant to be read in order (“视频动作识别: TSN → TRN → TSM”)."""

    title = models.CharField(_("title"), max_length=200, unique=True)
    slug = models.SlugField(
        _("slug"), max_length=100, unique=True, allow_unicode=True, blank=True,
        help_text=_("Left blank, made from the title."),
    )  # fmt: skip
    description = models.TextField(
        _("description"), blank=True, help_text=_("Shown at the top of the series page.")
    )

    class Meta:
        ordering = ["title"]
        verbose_name = _("series")
        verbose_name_plural = _("series")

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = unique_slug(Series, self.title, exclude_pk=self.pk, fallback="series")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("notes:series-detail", kwargs={"slug": self.slug})


class NoteQuerySet(models.QuerySet):
    def published(self, now: datetime | None = None) -> NoteQuerySet:
        """The notes anonymous readers may see: published, and their publish time has come.

        Every public page, feed, search and sitemap starts here; a scheduled note goes live
        by the clock alone, with no cron job.
        """
        return self.filter(status=Note.Status.PUBLISHED, published_at__lte=now or timezone.now())

    def with_tag(self, tag: Tag) -> NoteQuerySet:
        """The notes that have this tag, tested note by note in taggit's (content type,
        object, tag) index, so a tag's first page costs the same however many notes the
        site has.

        On PostgreSQL ``filter(tags=tag)`` joins through ``object_id::bigint``, a cast no
        index serves: it read and sorted every note of the tag for a page of 20 (17 ms for a
        tag of 7,500 notes in 100,000). With EXISTS it walks the notes newest first and
        stops at the page (0.9 ms, whatever the number of notes), or reads a rare tag's few
        notes and sorts them, by its statistics. SQLite's join has no cast and already walks
        the notes that way; EXISTS would only cost it 0.5 ms more to build (and ``pk__in``
        would make it list all the tag's notes first: 41 ms)."""
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
        return self.select_related("category").prefetch_related("tags", "papers")


class Note(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    class Language(models.TextChoices):
        # BCP 47 tags, as <article lang> and feeds write them.
        CHINESE = "zh-Hans", _("Chinese")
        ENGLISH = "en", _("English")

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
    lang = models.CharField(
        max_length=10,
        editable=False,
        default=Language.CHINESE,
        help_text="The language the note is served in: the editor's choice or the detected one.",
    )
    has_math = models.BooleanField(editable=False, default=False)
    body_html = models.TextField(editable=False, default="")
    excerpt = models.TextField(editable=False, default="")
    render_warnings = models.JSONField(editable=False, default=list, blank=True)
    toc_html = models.TextField(editable=False, default="")
    reading_minutes = models.PositiveSmallIntegerField(editable=False, default=1)
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
    feed_html = models.TextField(
        editable=False,
        default="",
        help_text="body_html as feeds carry it: math's layout written inline, links absolute.",
    )
    # Written on save (notes.fragments) from the note and its category, tags and papers, so
    # pages read them instead of querying and rendering per request.
    cards = models.JSONField(
        editable=False,
        default=dict,
        help_text="The note's list item in each interface language, and the build it is of.",
    )
    page = models.JSONField(
        editable=False,
        default=dict,
        help_text="The parts of the note's page that show only the note, in each interface "
        "language (notes.fragments).",
    )
    feed_items = models.JSONField(
        editable=False,
        default=dict,
        help_text="Each feed kind's item in each language, before and after the note's HTML "
        "(notes.feedxml).",
    )
    feed_gzip = models.BinaryField(
        editable=False,
        default=b"",
        help_text="feed_html XML-escaped and compressed once, as a raw deflate segment a "
        "gzipped feed carries as it is, after a header with its build and the CRC-32 and "
        "length of its bytes (notes.feedxml.content_segment). Empty for an undated draft.",
    )
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

    # Derived from the body at save time; pages and feeds only ever read them.
    RENDERED_FIELDS = (
        "body_html", "excerpt", "render_warnings", "toc_html", "reading_minutes", "title_key",
        "lang", "has_math", "feed_html",
    )  # fmt: skip

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
        before = (
            Note.objects.filter(pk=self.pk).values("slug", "title_key").first() if self.pk else None
        )
        result = self.render()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {
                *update_fields,
                *self.RENDERED_FIELDS,
                "updated_at",
                "published_at",
            }
        with transaction.atomic():
            super().save(*args, **kwargs)
            self.remember_old_names(before)
            self.refresh_derived()
        self.store_links(result)
        if before is None or before != {"slug": self.slug, "title_key": self.title_key}:
            # New or renamed: notes whose [[links]] name the old or new title/slug re-render,
            # so no link stays missing or points at the old address.
            names = {self.slug, self.title_key, *(before.values() if before else ())}
            rerender_linking_notes(names, exclude_pk=self.pk)

    def get_absolute_url(self) -> str:
        return reverse("notes:detail", kwargs={"slug": self.slug})

    def remember_old_names(self, before: dict[str, str] | None) -> None:
        """Keep the slug and title this save replaced, so old URLs redirect and old [[links]]
        resolve; a name now in use (by this note or another) is no longer an old one."""
        OldName.objects.filter(
            Q(kind=OldName.Kind.SLUG, key=self.slug)
            | Q(kind=OldName.Kind.TITLE, key=self.title_key)
        ).delete()
        if before is None:
            return
        for kind, old, new in (
            (OldName.Kind.SLUG, before["slug"], self.slug),
            (OldName.Kind.TITLE, before["title_key"], self.title_key),
        ):
            if old and old != new:
                OldName.objects.update_or_create(kind=kind, key=old, defaults={"note": self})

    def clean_fields(self, exclude=None) -> None:
        """Django's checks of each field, and the body's limits (notes.rendering): a body too
        long, too deeply nested or too slow to render is refused with a message before it is
        saved, and the form shows the text as typed."""
        errors: dict = {}
        try:
            super().clean_fields(exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if "body" not in (exclude or ()) and "body" not in errors:
            problem = check_limits(normalize_source(self.body), self.render_limits())
            if problem is None:
                problem = self.rendered().refused
            if problem is not None:
                errors["body"] = [ValidationError(limit_message(problem), code=problem.limit)]
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def render_limits() -> RenderLimits:
        return RenderLimits.from_settings(settings)

    def rendered(self) -> RenderResult:
        """The body rendered with what the site knows now. The admin form's check keeps it for
        the save that follows, so an edit is rendered once."""
        key = (normalize_source(self.body), self.slug, self.title)
        kept = getattr(self, "_rendered", None)
        if kept is not None and kept[0] == key:
            return kept[1]
        result = render_markdown(key[0], self.render_context())
        self._rendered = (key, result)
        return result

    def render(self) -> RenderResult:
        """Store the rendered body, excerpt, TOC and reading time; pages only read them."""
        result = self.rendered()
        self._rendered = None  # figures and linked notes may change before the next render
        self.body_html = result.html
        self.render_warnings = list(result.warnings)
        self.toc_html = result.toc_html
        self.reading_minutes = result.reading_minutes
        self.lang = self.language or result.language
        self.has_math = result.has_math
        self.feed_html = feedxml.feed_content(inline_styles(result.html))
        self.excerpt = (
            truncate_text(self.summary)
            if self.summary
            else make_excerpt(result.html, language=self.lang)
        )
        return result

    def rerender(self) -> None:
        """Re-render and store without touching updated_at: not an edit readers should see."""
        result = self.render()
        Note.objects.filter(pk=self.pk).update(
            **{name: getattr(self, name) for name in self.RENDERED_FIELDS}
        )
        self.refresh_derived()
        self.store_links(result)

    def refresh_derived(self) -> None:
        """Write what pages and search keep of this note and its category, tags and papers:
        its search tokens, its cards in each language (notes.fragments), its tags and papers
        as shown, and its related-note candidates. Visibility is not stored: pages filter by
        ``Note.objects.published()`` when they run. Within ``derived_once()``, only noted,
        and written once when it ends."""
        pending = getattr(_deferred, "pending", None)
        if pending is not None:
            pending.add(self.pk)
            return
        tags = list(Tag.objects.filter(note=self.pk).prefetch_related("aliases"))
        papers = list(Paper.objects.filter(note=self.pk))
        category = Category.objects.filter(pk=self.category_id).first()
        document = self.build_search_document(tags=tags, papers=papers, category=category)
        SearchDocument.objects.update_or_create(
            note_id=self.pk,
            defaults={field: getattr(document, field) for field in SearchDocument.WRITTEN},
        )
        self.tag_data = sorted(
            ([tag.name, tag.slug] for tag in tags), key=lambda t: t[0].casefold()
        )
        self.paper_data = [fragments.paper_fields(paper) for paper in papers]
        self.cards = fragments.render_cards(
            self, category=category, tags=self.tag_data, papers=self.paper_data
        )
        self.feed_items = self._render_feed_items(category)
        self.feed_gzip = self._render_feed_gzip()
        self.page = self._render_page(category)
        previous = self.related_data
        self.related_data = related.tag_candidates(self.pk, [tag.pk for tag in tags])
        Note.objects.filter(pk=self.pk).update(
            cards=self.cards,
            feed_items=self.feed_items,
            feed_gzip=self.feed_gzip,
            page=self.page,
            tag_data=self.tag_data,
            paper_data=self.paper_data,
            related_data=self.related_data,
        )
        related.update_reverse(self.pk, previous, self.related_data)
        state.changed()

    def refresh_card(self) -> None:
        """Only the cards, from what the note already stores (a deploy changed the build)."""
        self.cards = fragments.render_cards(
            self, category=self.category, tags=self.tag_data, papers=self.paper_data
        )
        Note.objects.filter(pk=self.pk).update(cards=self.cards)

    def refresh_page(self) -> None:
        """Only the page's parts, from what the note already stores."""
        self.page = self._render_page(self.category)
        Note.objects.filter(pk=self.pk).update(page=self.page)

    def _render_page(self, category: Category | None) -> dict:
        if category is None:
            return {}
        return fragments.render_page(
            self,
            category=category,
            tags=self.tag_links,
            papers=self.paper_list,
            series=self.series,
        )

    def refresh_feed_items(self) -> None:
        """Only the feed items and the HTML they carry, from what the note already stores
        (the site's address or name changed, or they were never made)."""
        self.feed_html = feedxml.feed_content(inline_styles(self.body_html))
        self.feed_items = self._render_feed_items(self.category)
        self.feed_gzip = self._render_feed_gzip()
        Note.objects.filter(pk=self.pk).update(
            feed_html=self.feed_html, feed_items=self.feed_items, feed_gzip=self.feed_gzip
        )

    def _render_feed_items(self, category: Category | None) -> dict:
        return feedxml.render_items(
            self,
            category_name=category.name if category else "",
            tag_names=[name for name, _slug in self.tag_data],
            author=self.author_name,
        )

    def _render_feed_gzip(self) -> bytes:
        # Like its items: an undated draft is in no feed.
        return feedxml.content_segment(self.feed_html) if self.published_at else b""

    @property
    def card(self):
        return fragments.card_html(self)

    @property
    def tag_links(self) -> list[dict[str, str]]:
        return [{"name": name, "slug": slug} for name, slug in self.tag_data]

    @property
    def paper_list(self) -> list[Paper]:
        """The note's papers from what it stores (no query): for its page and its JSON-LD."""
        return [Paper(note=self, **fields) for fields in self.paper_data]

    def build_search_document(
        self,
        *,
        tags: list[Tag],
        papers: list[Paper],
        category: Category | None,
        text: str | None = None,
    ) -> SearchDocument:
        """The search document of this note from its related rows (tags with their aliases
        prefetched): title, then tags, aliases, category and papers, then the summary, then
        the body's text and its formulas' LaTeX. ``text``, the body's plain text, may come
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
            text = plain_text(self.body_html, prose_only=False, language=self.lang)
        fields = document_fields(
            title=self.title,
            meta=meta,
            summary=self.summary,
            body_text=text,
            latex=latex_sources(self.body_html),
        )
        return SearchDocument(note_id=self.pk, text=text, **fields)

    def render_context(self) -> RenderContext:
        """Everything rendering needs from the database, fetched up front in three queries."""
        written = set(find_wiki_targets(self.body))
        keys = {wiki_key(target) for target in written}
        targets: dict[str, LinkTarget] = {}
        if keys:
            now = timezone.now()
            fields = ("slug", "title", "short_title", "title_key", "status", "published_at")

            def link_target(note: Note) -> LinkTarget:
                # The body is stored once for both languages: its links are the default
                # language's addresses, whatever language the saving request runs in (an
                # editor's English admin put /en/ into them).
                with translation.override(settings.LANGUAGE_CODE):
                    url = note.get_absolute_url()
                return LinkTarget(
                    slug=note.slug,
                    url=url,
                    title=note.title,
                    short_title=note.link_text,
                    is_public=note.status == Note.Status.PUBLISHED
                    and note.published_at is not None
                    and note.published_at <= now,
                )

            # Names a note had before: weakest, so a note that took an old name wins it.
            for old in (
                OldName.objects.filter(key__in=keys | written)
                .exclude(note_id=self.pk)
                .select_related("note")
                .only("kind", "key", *(f"note__{name}" for name in fields))
            ):
                targets[old.key.casefold()] = link_target(old.note)
            # Slugs may keep capitals ("LoRA-v2"): match them as written and case-folded, which
            # keeps the lookup on the slug index (a Lower() comparison would scan every note).
            candidates: list[Note] = list(
                Note.objects.filter(Q(slug__in=keys | written) | Q(title_key__in=keys))
                .exclude(pk=self.pk)
                .only(*fields)
            )
            # The note as it is being saved, not its stored row: a self-link resolves on the
            # first save too, and to the new slug or title when this save renames it.
            if self.slug:
                candidates.append(self)
            by_title = {note.title_key: link_target(note) for note in candidates}
            by_slug = {note.slug.casefold(): link_target(note) for note in candidates}
            # [[x]] names a note by slug or by title; a slug match wins.
            targets.update(by_title)
            targets.update(by_slug)
        image_sizes = {}
        if self.pk:
            image_sizes = {
                figure.image.url: (figure.width, figure.height)
                for figure in Figure.objects.filter(note_id=self.pk).only(
                    "image", "width", "height"
                )
            }

        return RenderContext(
            resolve_link=targets.get, image_sizes=image_sizes, limits=self.render_limits()
        )

    def store_links(self, result: RenderResult) -> None:
        """Remember where this note's [[links]] point, for backlinks and re-rendering."""
        links = dict(result.links)
        pks = dict(
            Note.objects.filter(slug__in={slug for slug in links.values() if slug}).values_list(
                "slug", "pk"
            )
        )
        NoteLink.objects.filter(source=self).delete()
        NoteLink.objects.bulk_create(
            NoteLink(source=self, key=key[:300], target_id=pks.get(slug))
            for key, slug in links.items()
        )

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
        return self.status == self.Status.PUBLISHED and self.published_at <= timezone.now()

    @property
    def is_scheduled(self) -> bool:
        return self.status == self.Status.PUBLISHED and self.published_at > timezone.now()

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


_deferred = threading.local()


@contextmanager
def derived_once() -> Iterator[None]:
    """Within this block a note's derived data (``Note.refresh_derived``) is written once, when
    the block ends, however many changes ask for it: an import saves the note, sets its tags,
    replaces its papers and restores its dates, each of which would otherwise write it all
    again, and the dates restored last would be missing from its stored page and feed items.
    Use it inside the transaction that makes the changes."""
    if getattr(_deferred, "pending", None) is not None:
        yield  # already inside one: the outer block writes
        return
    _deferred.pending = set()
    try:
        yield
        pending = _deferred.pending
    finally:
        _deferred.pending = None
    notes = Note.objects.filter(pk__in=pending).select_related("category", "author", "series")
    for note in notes.exclude(pk__in=_deleting):
        note.refresh_derived()


def rerender_linking_notes(names: set[str], *, exclude_pk: int | None) -> None:
    """Re-render the notes whose [[links]] name any of these titles or slugs."""
    keys = {wiki_key(name) for name in names if name}
    linking = Note.objects.filter(outgoing_links__key__in=keys).exclude(pk=exclude_pk).distinct()
    for note in linking:
        note.rerender()


@receiver(post_delete, sender=Note)
def rerender_after_delete(sender, instance: Note, **kwargs) -> None:
    """A signal, not Note.delete(): the admin's bulk delete deletes a queryset, which never
    calls delete() on each note, and links to a deleted note must still turn back into
    'missing' markers."""
    rerender_linking_notes({instance.slug, instance.title_key}, exclude_pk=instance.pk)


class OldName(models.Model):
    """A slug or title a note had before: its old URL redirects, old [[links]] still resolve."""

    class Kind(models.TextChoices):
        SLUG = "slug", "Slug"
        TITLE = "title", "Title"

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="old_names")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    key = models.CharField(
        max_length=300, help_text="The old slug as written, or the old title's wiki-link key."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="unique_old_name")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} “{self.key}” → {self.note}"


class NoteLink(models.Model):
    """A [[wiki link]] in a note: the target as written, and the note it resolved to."""

    source = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="outgoing_links")
    key = models.CharField(max_length=300, db_index=True)
    target = models.ForeignKey(
        Note, null=True, blank=True, on_delete=models.SET_NULL, related_name="incoming_links"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "key"], name="unique_link_per_note")
        ]

    def __str__(self) -> str:
        return f"{self.source} → [[{self.key}]]"


class Paper(models.Model):
    """A paper a note summarises or cites; notes sharing a paper link to each other."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="papers")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("title"), max_length=500)
    authors = models.TextField(_("authors"), blank=True, help_text=_("One author per line."))
    venue = models.CharField(
        _("venue"), max_length=200, blank=True, help_text=_("e.g. NeurIPS, ICLR, Nature.")
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    url = models.URLField(_("paper URL"), max_length=500, blank=True)
    doi = models.CharField("DOI", max_length=200, blank=True, db_index=True)
    arxiv = models.CharField(
        _("arXiv id"),
        max_length=50,
        blank=True,
        db_index=True,
        help_text=_("2106.09685, arXiv:2106.09685v2 or an arxiv.org URL; stored as the bare id."),
    )
    code_url = models.URLField(_("code URL"), max_length=500, blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("paper")
        verbose_name_plural = _("papers")

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.arxiv = normalize_arxiv(self.arxiv) or arxiv_from_url(self.url)
        self.doi = normalize_doi(self.doi)
        super().save(*args, **kwargs)

    @property
    def author_list(self) -> list[str]:
        return split_authors(self.authors)

    @property
    def link(self) -> str:
        if web_url(self.url):
            return web_url(self.url)
        if self.arxiv:
            return f"https://arxiv.org/abs/{self.arxiv}"
        if self.doi:
            return f"https://doi.org/{self.doi}"
        return ""

    @property
    def code_link(self) -> str:
        return web_url(self.code_url)

    def bibtex(self) -> str:
        return to_bibtex(
            title=self.title,
            authors=self.author_list,
            year=self.year,
            venue=self.venue,
            url=self.url,
            doi=self.doi,
            arxiv=self.arxiv,
        )

    def get_bibtex_url(self) -> str:
        return reverse("notes:bibtex", kwargs={"slug": self.note.slug, "pk": self.pk})


_SNIPPET_ALT = str.maketrans({"\\": "&#92;", "[": "&#91;", "]": "&#93;"})
_SNIPPET_CAPTION = str.maketrans({"\\": "&#92;", '"': "&quot;"})


class Figure(models.Model):
    """An image uploaded for a note; the admin shows a Markdown snippet to paste into the body."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="figures")
    image = models.ImageField(
        upload_to=figure_upload_to,
        width_field="width",
        height_field="height",
        validators=[validate_figure],
        verbose_name=_("image"),
        help_text=_("PNG, JPEG, GIF or WebP, at most 10 MB. SVG is not accepted."),
    )
    width = models.PositiveIntegerField(editable=False, default=0)
    height = models.PositiveIntegerField(editable=False, default=0)
    alt = models.CharField(
        _("alt text"), max_length=300, help_text=_("What the image shows, for screen readers.")
    )
    caption = models.CharField(
        _("caption"), max_length=300, blank=True, help_text=_("Shown under the figure.")
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("figure")
        verbose_name_plural = _("figures")

    def __str__(self) -> str:
        return self.alt or self.image.name

    def save(self, *args, **kwargs) -> None:
        # The image is written before the row, so a write that fails (disk full, read-only
        # folder) leaves no row pointing at a missing file; the storage leaves no partial file.
        if self.image and not self.image._committed:
            try:
                self.image.save(self.image.name, self.image.file, save=False)
            except OSError as exc:
                raise FigureNotStored(str(exc)) from exc
            remember_written(self.image.storage, self.image.name)
        super().save(*args, **kwargs)

    @property
    def markdown(self) -> str:
        """The snippet an editor pastes: ![alt](url "caption"). One line, whatever the alt
        text and caption hold: a line break or a bracket in them would end the image early and
        turn the rest into Markdown of its own (an abbreviation, a reference link). Brackets,
        backslashes and quotes go as character references: "\\[" would open display math."""
        alt = " ".join(self.alt.split()).translate(_SNIPPET_ALT)
        caption = " ".join(self.caption.split()).translate(_SNIPPET_CAPTION)
        title = f' "{caption}"' if caption else ""
        return f"![{alt}]({self.image.url}{title})"


class SearchDocument(models.Model):
    """A note's search tokens (notes.search), one row per note and apart from it, so edits
    that do not change what is searchable never rewrite index entries. On PostgreSQL a
    generated, GIN-indexed ``vector`` column holds them; on SQLite an FTS5 table follows this
    one by triggers (migration 0005)."""

    note = models.OneToOneField(
        Note, on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    title = models.TextField(default="", help_text="Tokens of the title.")
    meta = models.TextField(
        default="", help_text="Tokens of tags, their aliases, the category and the papers."
    )
    summary = models.TextField(default="", help_text="Tokens of the summary.")
    body = models.TextField(default="", help_text="Tokens of the body's text and LaTeX.")
    text = models.TextField(default="", help_text="The body's plain text, for snippets.")
    version = models.PositiveSmallIntegerField(
        default=0, help_text="The tokenizer version that wrote this row."
    )

    WRITTEN = ("title", "meta", "summary", "body", "text", "version")

    def __str__(self) -> str:
        return f"Search document of {self.note_id}"


class TagAlias(models.Model):
    """Another name of a tag (“linear attention” for 线性注意力): a search for it finds the
    notes with the tag, and the tag's page lists it."""

    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(_("alias"), max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("alias")
        verbose_name_plural = _("aliases")
        constraints = [models.UniqueConstraint(fields=["tag", "name"], name="unique_alias_per_tag")]

    def __str__(self) -> str:
        return self.name


# Notes being deleted right now: their tags and papers go first, and must not write a search
# document for a note that is about to disappear.
_deleting: set[int] = set()


@receiver(pre_delete, sender=Note)
def _mark_deleting(sender, instance: Note, **kwargs) -> None:
    _deleting.add(instance.pk)


@receiver(post_delete, sender=Note)
def _unmark_deleting(sender, instance: Note, **kwargs) -> None:
    _deleting.discard(instance.pk)


def update_search_documents(notes: models.QuerySet[Note]) -> None:
    for note in notes.exclude(pk__in=_deleting):
        note.refresh_derived()


@receiver([post_save, post_delete], sender=TaggedItem)
def index_after_tagging(sender, instance: TaggedItem, **kwargs) -> None:
    """The admin's tag field, taggit's add/set/remove and imports all end up here."""
    if instance.content_type.model_class() is Note:
        update_search_documents(Note.objects.filter(pk=instance.object_id))


@receiver(post_save, sender=Tag)
def index_after_tag_rename(sender, instance: Tag, created: bool, **kwargs) -> None:
    if not created:
        update_search_documents(Note.objects.filter(tags=instance))


@receiver([post_save, post_delete], sender=TagAlias)
def index_after_alias_change(sender, instance: TagAlias, **kwargs) -> None:
    update_search_documents(Note.objects.filter(tags__id=instance.tag_id))


@receiver(post_save, sender=Category)
def index_after_category_rename(sender, instance: Category, created: bool, **kwargs) -> None:
    if not created:
        update_search_documents(Note.objects.filter(category=instance))


@receiver(post_save, sender=Series)
def refresh_pages_after_series_change(sender, instance: Series, **kwargs) -> None:
    """A note's page names its series (in its JSON-LD): renamed, its parts' pages follow."""
    for note in Note.objects.filter(series=instance).select_related("category", "author"):
        note.series = instance
        note.refresh_page()


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def refresh_feed_items_after_author_rename(sender, instance, created: bool, **kwargs) -> None:
    """Feeds and note pages name each note's author: a renamed editor's notes get their items
    and pages again (a login saves only last_login, which neither shows)."""
    update_fields = kwargs.get("update_fields")
    if created or (
        update_fields is not None
        and not {"first_name", "last_name", "username"} & set(update_fields)
    ):
        return
    notes = list(Note.objects.filter(author=instance).select_related("category", "author"))
    for note in notes:
        note.refresh_feed_items()
        note.refresh_page()  # its header and JSON-LD name the author too
    if notes:
        state.changed()


@receiver([post_save, post_delete], sender=Paper)
def index_after_paper_change(sender, instance: Paper, **kwargs) -> None:
    update_search_documents(Note.objects.filter(pk=instance.note_id))


class SiteState(models.Model):
    """One row: what every public page needs to know about the whole site, kept on save so a
    page never counts or lists the whole site itself (notes.state reads and renews it)."""

    version = models.PositiveBigIntegerField(
        default=1,
        help_text="Raised by every change readers could see; ETags and cached pages carry it.",
    )
    changed_at = models.DateTimeField(
        default=timezone.now, help_text="When readers last saw something change."
    )
    counted_version = models.PositiveBigIntegerField(
        default=0, help_text="The version the navigation and counts below were made for."
    )
    next_publish_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the next scheduled note goes live: the version is raised then.",
    )
    navigation = models.JSONField(
        default=list, help_text="The categories as the header lists them: [id, name, slug]."
    )
    counts = models.JSONField(
        default=dict,
        help_text="Published notes: in all, per category, per series and per month.",
    )

    def __str__(self) -> str:
        return f"Site state, version {self.version}"


class TagCount(models.Model):
    """How many published notes a tag has, renewed with the site state (tags can be many, so
    they are not in its JSON)."""

    tag = models.OneToOneField(
        Tag, on_delete=models.CASCADE, primary_key=True, related_name="public_count"
    )
    notes = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.tag}: {self.notes}"


@receiver([post_save, post_delete], sender=Note)
@receiver([post_save, post_delete], sender=Category)
@receiver([post_save, post_delete], sender=Series)
@receiver([post_save, post_delete], sender=Paper)
@receiver([post_save, post_delete], sender=Figure)
@receiver([post_save, post_delete], sender=Tag)
@receiver([post_save, post_delete], sender=TagAlias)
@receiver([post_save, post_delete], sender=OldName)
def site_changed(sender, **kwargs) -> None:
    """Anything a page shows changed: every page's version moves on (notes.state)."""
    state.changed()
