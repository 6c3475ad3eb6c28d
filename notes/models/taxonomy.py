"""How notes are grouped: categories, series (reading paths) and tag aliases, and the slugs
they are addressed by."""

from __future__ import annotations

import re

from django.db import models
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from taggit.models import Tag

_NON_SLUG = re.compile(r"[^\w\s-]", re.UNICODE)


def make_slug(text: str, max_length: int = 200) -> str:
    """A readable, URL-safe slug that keeps Chinese characters.

    Punctuation becomes a separator first, so "LoRA：大模型的低秩适配" gives
    "lora-大模型的低秩适配" rather than gluing the two words together.
    """
    slug = slugify(_NON_SLUG.sub(" ", text), allow_unicode=True)
    return slug[:max_length].strip("-_")


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
