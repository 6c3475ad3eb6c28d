"""``/sitemap.xml``: an index of one sitemap per kind of page, only what readers may see.

Every section starts from ``Note.objects.published()``, so a draft or a scheduled note (and
a tag, category or series only they use) never appears. Addresses use DJANGO_SITE_URL
(notes.seo.site_url), never the request's Host header.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.sitemaps import Sitemap
from django.db.models import Max, Q, QuerySet
from django.db.models.functions import ExtractMonth, ExtractYear
from django.urls import reverse
from taggit.models import Tag, TaggedItem

from notes.models import Category, Note, Paper, Series


class SiteSitemap(Sitemap):
    # Every address in each language, with its alternates (hreflang) and x-default.
    i18n = True
    alternates = True
    x_default = True
    # The protocol allows 50,000 addresses a file; each item is listed once per language.
    limit = 50_000 // len(settings.LANGUAGES)

    def get_protocol(self, protocol: str | None = None) -> str:
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None) -> str:
        return urlsplit(settings.SITE_URL).netloc

    def lastmod(self, item) -> datetime | None:
        return item.last_modified

    def get_latest_lastmod(self) -> datetime | None:
        # One aggregate, not a walk through every item (Django's default).
        return Note.objects.published().aggregate(last=Max("updated_at"))["last"]

    def page_count(self) -> int:
        """How many pages of ``limit`` (50,000) addresses the index lists for this section.
        Categories, tags, series and archive months stay far below one page; counting their
        annotated rows on every request would cost more than the index itself."""
        return 1


def _visible() -> Q:
    return Q(notes__in=Note.objects.published().values("pk"))


class NoteSitemap(SiteSitemap):
    changefreq = "monthly"
    # Pages of 2,500 notes (5,000 addresses with their alternates) rather than the protocol's
    # 50,000: drawn again after each save, a page must stay well inside a worker's timeout.
    limit = 2_500

    def items(self) -> QuerySet[Note]:
        return Note.objects.published().only("slug", "updated_at").order_by("-published_at", "-id")

    def lastmod(self, item: Note) -> datetime:
        return item.updated_at

    def page_count(self, total: int | None = None) -> int:
        if total is None:
            total = Note.objects.published().count()
        return max(1, -(-total // self.limit))


class CategorySitemap(SiteSitemap):
    def items(self) -> QuerySet[Category]:
        return (
            Category.objects.annotate(last_modified=Max("notes__updated_at", filter=_visible()))
            .filter(last_modified__isnull=False)
            .order_by("order", "name")
        )


class TagSitemap(SiteSitemap):
    def items(self) -> QuerySet[Tag]:
        items = TaggedItem.objects.filter(
            content_type=ContentType.objects.get_for_model(Note),
            object_id__in=Note.objects.published().values("pk"),
        )
        return (
            Tag.objects.annotate(
                last_modified=Max(
                    "taggit_taggeditem_items__note__updated_at",
                    filter=Q(taggit_taggeditem_items__in=items),
                )
            )
            .filter(last_modified__isnull=False)
            .order_by("name")
        )

    def location(self, item: Tag) -> str:
        return reverse("notes:tag", kwargs={"slug": item.slug})


class SeriesSitemap(SiteSitemap):
    def items(self) -> QuerySet[Series]:
        return (
            Series.objects.annotate(last_modified=Max("notes__updated_at", filter=_visible()))
            .filter(last_modified__isnull=False)
            .order_by("slug")
        )


class PaperSitemap(SiteSitemap):
    """Each paper a published note lists, dated by the latest of those notes. Listed as one
    page (25,000 papers); past that, counting them for the index would be worth its query."""

    def items(self) -> QuerySet[Paper]:
        return (
            Paper.objects.annotate(last_modified=Max("notes__updated_at", filter=_visible()))
            .filter(last_modified__isnull=False)
            .only("arxiv", "key")
            .order_by("pk")
        )


class _Page:
    """A page named by its URL name, reversed in each language's turn."""

    def __init__(self, name: str, kwargs: dict, last_modified: datetime | None) -> None:
        self.name, self.kwargs, self.last_modified = name, kwargs, last_modified


class ArchiveSitemap(SiteSitemap):
    """Every year and month with published notes."""

    def items(self) -> list[_Page]:
        rows = (
            Note.objects.published()
            .annotate(year=ExtractYear("published_at"), month=ExtractMonth("published_at"))
            .order_by()
            .values_list("year", "month")
            .annotate(last=Max("updated_at"))
        )
        pages: list[_Page] = []
        years: dict[int, datetime] = {}
        for year, month, last in sorted(rows, reverse=True):
            years[year] = max(last, years.get(year, last))
            pages.append(_Page("notes:month", {"year": year, "month": month}, last))
        pages += [_Page("notes:year", {"year": year}, last) for year, last in years.items()]
        return pages

    def location(self, item: _Page) -> str:
        return reverse(item.name, kwargs=item.kwargs)


class PageSitemap(SiteSitemap):
    """The home page and the indexes; they change whenever a note does."""

    def items(self) -> list[_Page]:
        last = self.get_latest_lastmod()
        names = (
            "notes:list",
            "notes:categories",
            "notes:tags",
            "notes:archive",
            "notes:series-list",
            "notes:papers",
            "notes:updates",
        )
        return [_Page(name, {}, last) for name in names]

    def location(self, item: _Page) -> str:
        return reverse(item.name, kwargs=item.kwargs)


SITEMAPS = {
    "pages": PageSitemap,
    "notes": NoteSitemap,
    "categories": CategorySitemap,
    "tags": TagSitemap,
    "series": SeriesSitemap,
    "archive": ArchiveSitemap,
    "papers": PaperSitemap,
}
