"""Lists of published notes: the home page, a category, a tag, an archive period, a series,
and the indexes of categories, tags, series and months."""

from datetime import date, datetime

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import F, Q, QuerySet, prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import pgettext
from django.views.generic import DetailView, ListView, TemplateView
from taggit.models import Tag

from notes.chrome import feed_links
from notes.collation import name_key
from notes.converters import page_number
from notes.delivery import state
from notes.models import Category, Note, Series

# What a list item shows of a note: its own fields, its category, and its tags and papers
# as the derive step keeps them.
LIST_FIELDS = (
    "id", "title", "slug", "lang", "excerpt", "excerpt_html", "published_at", "tag_data",
    "paper_data", "category__name", "category__slug",
)  # fmt: skip


def cards_have_math(notes) -> bool:
    """Whether any card shows a formula, so the page loads the math stylesheet and font."""
    return any("<math" in note.excerpt_html for note in notes)


def listed(notes: QuerySet[Note]) -> QuerySet[Note]:
    return notes.select_related("category").only(*LIST_FIELDS)


class PublishedNotesMixin:
    """Public views only ever see what ``Note.objects.published()`` lets through."""

    def get_queryset(self) -> QuerySet[Note]:
        return Note.objects.published()


class CountedPaginator(Paginator):
    """A paginator told its count (kept in the site state) instead of counting per request."""

    def __init__(self, object_list, per_page, *, known_count: int, **kwargs) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.known_count = known_count

    @cached_property
    def count(self) -> int:
        return self.known_count


class PagesMixin:
    """One address per page of a list, and the numbered page links the site shows."""

    def known_count(self) -> int | None:
        """How many items the whole list has, when the site state knows it."""
        return None

    def get_paginator(self, queryset, per_page, orphans=0, allow_empty_first_page=True, **kw):
        count = self.known_count()
        if count is None:
            return super().get_paginator(queryset, per_page, orphans, allow_empty_first_page, **kw)
        return CountedPaginator(
            queryset, per_page, known_count=count, orphans=orphans,
            allow_empty_first_page=allow_empty_first_page,
        )  # fmt: skip

    def paginate_queryset(self, queryset, page_size):
        # Django's ListView reads "?page=" (empty) as page 1 and "?page=last" as the last
        # page, so one list would answer at several addresses. Pagination links only ever
        # write plain numbers: anything else is a 404, like "?page=abc" already is.
        page = self.request.GET.get(self.page_kwarg)
        if page is not None and page_number(page) is None:
            raise Http404("A page number is a whole number.")
        return super().paginate_queryset(queryset, page_size)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = context["page_obj"]
        if page is not None:
            context["page_range"] = page.paginator.get_elided_page_range(page.number)
        return context


class NoteListView(PagesMixin, PublishedNotesMixin, ListView):
    model = Note
    paginate_by = settings.NOTES_PER_PAGE
    context_object_name = "notes"
    # The RSS and Atom feeds of this list, linked from <head>; subclasses name their own.
    feed_url_names = ("notes:feed", "notes:feed-atom")

    def get_queryset(self) -> QuerySet[Note]:
        return listed(super().get_queryset())

    def paginate_queryset(self, queryset, page_size):
        """A deep page skips its OFFSET rows in the index alone (their ids), then reads its
        twenty cards: the cards of the skipped notes are never read. A page nearer the end
        of the list is counted from the oldest note (the same index, read backwards), so the
        last page skips nothing and no page skips more than half the list.

        The twenty are then read by primary key alone: with the list's own filters repeated
        around the ids, SQLite walks the whole list's index to test each note against them."""
        paginator, page, object_list, is_paginated = super().paginate_queryset(queryset, page_size)
        if page.number > 1:
            start, end = page.start_index() - 1, page.end_index()
            # The count is the site state's, made for the notes this query sees.
            from_end = paginator.count - end
            if from_end < start:
                ids = queryset.reverse().values("pk")[from_end : from_end + end - start]
            else:
                ids = queryset.values("pk")[start:end]
            object_list = listed(Note.objects.filter(pk__in=ids))
            if queryset.query.order_by:
                object_list = object_list.order_by(*queryset.query.order_by)
            page.object_list = object_list
        return paginator, page, object_list, is_paginated

    def known_count(self) -> int | None:
        return state.current(self.request).total

    def feed_url_kwargs(self) -> dict:
        return {}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rss, atom = (reverse(name, kwargs=self.feed_url_kwargs()) for name in self.feed_url_names)
        context["feeds"] = feed_links(self.get_feed_title(), rss, atom)
        context["cards_have_math"] = cards_have_math(context["notes"])
        return context

    def get_feed_title(self) -> str:
        return settings.SITE_NAME


class CategoryNoteListView(NoteListView):
    template_name = "notes/category_detail.html"
    feed_url_names = ("notes:category-feed", "notes:category-feed-atom")

    def get_queryset(self) -> QuerySet[Note]:
        self.category = get_object_or_404(Category, slug=self.kwargs["slug"])
        return super().get_queryset().filter(category=self.category)

    def known_count(self) -> int:
        return state.current(self.request).category_count(self.category.pk)

    def feed_url_kwargs(self) -> dict:
        return {"slug": self.category.slug}

    def get_feed_title(self) -> str:
        return f"{self.category.name} · {settings.SITE_NAME}"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            category=self.category, current_category_slug=self.category.slug, **kwargs
        )


class TagNoteListView(NoteListView):
    template_name = "notes/tag_detail.html"
    feed_url_names = ("notes:tag-feed", "notes:tag-feed-atom")

    def get_queryset(self) -> QuerySet[Note]:
        self.tag = get_object_or_404(
            Tag.objects.select_related("public_count"), slug=self.kwargs["slug"]
        )
        return super().get_queryset().with_tag(self.tag)

    def known_count(self) -> int:
        counted = getattr(self.tag, "public_count", None)
        count = state.current(self.request).tag_count(self.tag.pk, counted.notes if counted else 0)
        if not count:
            # A tag used only on drafts must not reveal itself: no published note, no page.
            raise Http404("No published note has this tag.")
        return count

    def feed_url_kwargs(self) -> dict:
        return {"slug": self.tag.slug}

    def get_feed_title(self) -> str:
        return f"#{self.tag.name} · {settings.SITE_NAME}"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            tag=self.tag, tag_aliases=list(self.tag.aliases.all()), **kwargs
        )


class CategoryListView(ListView):
    """``/category/``: every category with its description and number of published notes."""

    model = Category
    context_object_name = "categories"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        site = state.current(self.request)
        for category in context["categories"]:
            category.note_count = site.category_count(category.pk)
        return context


class TagListView(PagesMixin, ListView):
    """``/tag/``: the tags of published notes with their counts and aliases, in one alphabet
    for Chinese and English names (notes.collation); a tag only drafts use does not appear."""

    template_name = "notes/tag_list.html"
    context_object_name = "tags"
    paginate_by = 200

    def get_queryset(self) -> list[Tag]:
        site = state.current(self.request)
        tags = (
            Tag.objects.filter(Q(public_count__notes__gt=0) | Q(pk__in=site.live_tag_ids()))
            .annotate(counted=F("public_count__notes"))
            .only("name", "slug")
        )
        for tag in tags:
            tag.note_count = site.tag_count(tag.pk, tag.counted or 0)
        return sorted(tags, key=lambda tag: name_key(tag.name))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        prefetch_related_objects(context["tags"], "aliases")
        return context


def month_start(year: int, month: int = 1) -> datetime:
    """The first moment of a month in the site's time zone, which archives go by."""
    return timezone.make_aware(datetime(year, month, 1))


class ArchiveView(TemplateView):
    """``/archive/``: how many notes each year and month has, newest first."""

    template_name = "notes/archive.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["years"] = archive_counts(state.current(self.request).month_counts())
        return context


def year_name(year: int) -> str:
    return pgettext("archive year", "%(year)s") % {"year": year}


def archive_counts(rows: list[tuple[int, int, int]]) -> list[dict]:
    """Years, newest first, each with its total and its months' counts, from the site
    state's (year, month, notes)."""
    years: dict[int, dict] = {}
    for year, month, count in sorted(rows, reverse=True):
        entry = years.setdefault(
            year, {"year": year, "year_name": year_name(year), "total": 0, "months": []}
        )
        entry["total"] += count
        entry["months"].append({"month": month, "date": date(year, month, 1), "count": count})
    return list(years.values())


class ArchivePeriodView(NoteListView):
    """``/archive/<year>/`` and ``/archive/<year>/<month>/``: that period's notes, newest first;
    a period without published notes is the site's 404, like an unknown slug."""

    template_name = "notes/archive_period.html"

    def get_queryset(self) -> QuerySet[Note]:
        self.year, self.month = self.kwargs["year"], self.kwargs.get("month")
        # Dates outside what Python and the databases can hold are no archive.
        if not 1000 <= self.year <= 9998:
            raise Http404("No archive for this year.")
        if self.month:
            start = month_start(self.year, self.month)
            end = month_start(self.year + self.month // 12, self.month % 12 + 1)
        else:
            start, end = month_start(self.year), month_start(self.year + 1)
        return super().get_queryset().filter(published_at__gte=start, published_at__lt=end)

    def get_context_data(self, **kwargs):
        first = date(self.year, self.month or 1, 1)
        context = super().get_context_data(
            year=self.year,
            month=self.month,
            # "2026年3月" / "March 2026", "2026年" / "2026": the language's own formats.
            year_name=year_name(self.year),
            period_name=date_format(first, "YEAR_MONTH_FORMAT")
            if self.month
            else year_name(self.year),
            **kwargs,
        )
        if not self.month:
            months = [
                row for row in state.current(self.request).month_counts() if row[0] == self.year
            ]
            context["months"] = archive_counts(months)[0]["months"]
        return context

    def known_count(self) -> int:
        count = state.current(self.request).period_count(self.year, self.month)
        if not count:
            raise Http404("No notes in this period.")
        return count


class SeriesListView(ListView):
    """``/series/``: the reading paths that have published parts, with how many."""

    template_name = "notes/series_list.html"
    context_object_name = "series_list"

    def get_queryset(self) -> list[Series]:
        site = state.current(self.request)
        series = []
        for entry in Series.objects.all():
            entry.note_count = site.series_count(entry.pk)
            if entry.note_count:
                series.append(entry)
        return sorted(series, key=lambda entry: name_key(entry.title))


class SeriesDetailView(DetailView):
    """``/series/<slug>/``: one series' published parts in the editor's order, numbered as
    readers see them; a series with nothing published yet is not there."""

    model = Series
    context_object_name = "series"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        parts = list(listed(Note.objects.published().filter(series=self.object).in_series_order()))
        if not parts:
            raise Http404("This series has no published notes yet.")
        context["notes"] = parts
        context["cards_have_math"] = cards_have_math(parts)
        context["feeds"] = feed_links(
            f"{self.object.title} · {settings.SITE_NAME}",
            reverse("notes:series-feed", kwargs={"slug": self.object.slug}),
            reverse("notes:series-feed-atom", kwargs={"slug": self.object.slug}),
        )
        return context
