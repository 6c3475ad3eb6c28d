from __future__ import annotations

import re
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from taggit.managers import TaggableManager

from notes.rendering import make_excerpt, normalize_source, render_markdown, truncate_text

_NON_SLUG = re.compile(r"[^\w\s-]", re.UNICODE)


def make_slug(text: str, max_length: int = 200) -> str:
    """A readable, URL-safe slug that keeps Chinese characters.

    Punctuation becomes a separator first, so "LoRA：大模型的低秩适配" gives
    "lora-大模型的低秩适配" rather than gluing the two words together.
    """
    slug = slugify(_NON_SLUG.sub(" ", text), allow_unicode=True)
    return slug[:max_length].strip("-_")


def unique_slug(model: type[models.Model], text: str, *, exclude_pk=None, fallback: str) -> str:
    base = make_slug(text, max_length=180) or fallback
    candidates = model._default_manager.filter(slug__startswith=base)
    if exclude_pk is not None:
        candidates = candidates.exclude(pk=exclude_pk)
    taken = set(candidates.values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


class Category(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True, allow_unicode=True)
    description = models.TextField(blank=True, help_text="Shown at the top of the category page.")
    order = models.PositiveIntegerField(
        default=0, help_text="Lower numbers come first in the navigation."
    )

    class Meta:
        ordering = ["order", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = unique_slug(Category, self.name, exclude_pk=self.pk, fallback="category")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("notes:category", kwargs={"slug": self.slug})


class NoteQuerySet(models.QuerySet):
    def published(self, now: datetime | None = None) -> NoteQuerySet:
        """The notes anonymous readers may see: published, and their publish time has come.

        Every public page, feed, search and sitemap starts here; a scheduled note goes live
        by the clock alone, with no cron job.
        """
        return self.filter(status=Note.Status.PUBLISHED, published_at__lte=now or timezone.now())

    def for_listing(self) -> NoteQuerySet:
        """What a list item shows, in a fixed number of queries however many notes."""
        return self.select_related("category").prefetch_related("tags")


class Note(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=300)
    slug = models.SlugField(
        max_length=200,
        unique=True,
        blank=True,
        allow_unicode=True,
        help_text="The note's URL. Left blank, it is made from the title (Chinese is kept).",
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="notes")
    tags = TaggableManager(blank=True, help_text="Comma-separated; Chinese tags work.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notes",
    )
    summary = models.TextField(
        blank=True,
        help_text="Plain text for lists and feeds. Left blank, an excerpt of the body is used.",
    )
    body = models.TextField(blank=True, help_text="Markdown.")
    body_html = models.TextField(editable=False, default="")
    excerpt = models.TextField(editable=False, default="")
    render_warnings = models.JSONField(editable=False, default=list, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(
        "publish date",
        default=timezone.now,
        help_text="A published note with a future date stays hidden until then.",
    )
    extra_front_matter = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text="Front-matter keys the importer does not know yet, kept for export.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = NoteQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        get_latest_by = "published_at"
        indexes = [
            models.Index(fields=["status", "-published_at", "-id"], name="note_public_idx"),
            models.Index(
                fields=["category", "status", "-published_at", "-id"], name="note_category_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.body = normalize_source(self.body)
        self.summary = normalize_source(self.summary).strip()
        if not self.slug:
            self.slug = unique_slug(Note, self.title, exclude_pk=self.pk, fallback="note")
        self.render()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {
                *update_fields,
                "body_html",
                "excerpt",
                "render_warnings",
                "updated_at",
            }
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("notes:detail", kwargs={"slug": self.slug})

    def render(self) -> None:
        """Store the rendered body and excerpt; pages and feeds only read them."""
        result = render_markdown(self.body)
        self.body_html = result.html
        self.render_warnings = list(result.warnings)
        self.excerpt = truncate_text(self.summary) if self.summary else make_excerpt(result.html)

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
        return timezone.localdate(self.updated_at) > timezone.localdate(self.published_at)

    def neighbours_filter(self, *, newer: bool) -> Q:
        """Notes after (or before) this one in the reading order (-published_at, -id)."""
        if newer:
            return Q(published_at__gt=self.published_at) | Q(
                published_at=self.published_at, id__gt=self.id
            )
        return Q(published_at__lt=self.published_at) | Q(
            published_at=self.published_at, id__lt=self.id
        )
