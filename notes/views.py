import re
from datetime import date, datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.sitemaps.views import SitemapIndexItem
from django.core.paginator import Paginator
from django.db.models import F, Q, QuerySet, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.generic import DetailView, ListView, TemplateView
from taggit.models import Tag

from notes import neighbours, related, search, seo, state
from notes.chrome import feed_links
from notes.collation import name_key
from notes.converters import UnicodeSlugConverter, page_number
from notes.models import Category, Note, OldName, Paper, Series
from notes.search.snippets import snippet as search_snippet
from notes.seo import absolute, site_url
from notes.sitemaps import SITEMAPS

# What a list item shows of a note: its own fields, its category, and its tags and papers
# as the derive step keeps them.
LIST_FIELDS = (
    "id", "title", "slug", "lang", "excerpt", "published_at", "tag_data", "paper_data",
    "category__name", "category__slug",
)  # fmt: skip


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
        around the ids, SQLite walked the whole list's index to test each note against them
        (10 ms for any page after the first at 100,000 notes; 0.5 ms by key)."""
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


class NoteContextMixin:
    """What a note page shows besides the note: its tags and papers (stored with it), and the
    published notes around it — backlinks, notes on the same paper, its series, related notes,
    the previous and next note — fetched together in one query, whatever the number of notes.
    """

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        note = self.object
        context["page"] = self.page_parts(note, note.paper_list)
        context.update(self.around(note))
        context["note_url"] = absolute(self.request, note.get_absolute_url())
        if not getattr(self, "preview", False):
            # As the stored shell writes it: the note's address as reverse() encodes it.
            context["canonical_url"] = context["note_url"]
        return context

    def around(self, note: Note) -> dict:
        """The published notes the page shows around the note, by the part they appear in."""
        around = self.neighbours(note, note.paper_list)  # the note too, as a series part
        others = [other for other in around if other.pk != note.pk]
        linked = {other.pk for other in others if other.is_backlink or other.is_linked_to}
        same_paper = {other.pk for other in others if other.on_same_paper}
        context = {
            "backlinks": [other for other in others if other.is_backlink],
            "same_paper_notes": [other for other in others if other.on_same_paper],
            "series_nav": series_navigation(note, around),
            "related_notes": related.pick(note, others, linked=linked, same_paper=same_paper),
        }
        if note.published_at is not None and not getattr(self, "preview", False):
            key = (note.published_at, note.pk)
            older = [other for other in others if (other.published_at, other.pk) < key]
            newer = [other for other in others if (other.published_at, other.pk) > key]
            context["previous_note"] = max(older, key=_reading_key, default=None)
            context["next_note"] = min(newer, key=_reading_key, default=None)
        return context

    def page_parts(self, note: Note, papers: list[Paper]) -> dict:
        """The parts of the page that show the note itself: meta tags, head (math styles,
        JSON-LD), header and what precedes the body (papers, contents)."""
        preview = getattr(self, "preview", False)
        tags = note.tag_links
        image = seo.first_image(note)
        context = {
            "note": note,
            "category": note.category,
            "tags": tags,
            "papers": papers,
            "preview": preview,
            "author_name": note.author_name,
            "preview_image": seo.absolute(None, image) if image else "",
            "json_ld": [
                seo.json_ld(data)
                for data in seo.note_json_ld(
                    note, request=None, tags=tags, papers=papers, series=note.series, image=image
                )
            ],
        }
        return {
            name: mark_safe(render_to_string(template, context).strip())
            for name, template in PAGE_PARTS.items()
        }

    def neighbours(self, note: Note, papers: list[Paper]) -> list[Note]:
        arxiv_ids = {paper.arxiv for paper in papers if paper.arxiv}
        dois = {paper.doi for paper in papers if paper.doi}
        return neighbours.around(note, arxiv_ids, dois)


PAGE_PARTS = {
    "meta": "includes/note_page_meta.html",
    "head": "includes/note_page_head.html",
    "header": "includes/note_page_header.html",
    "intro": "includes/note_page_intro.html",
}


def _reading_key(note: Note) -> tuple:
    return (note.published_at, note.pk)


def series_navigation(note: Note, others: list[Note]) -> dict | None:
    """Where a note stands in its series, counted among the parts readers can see: a draft or
    scheduled part is skipped, so readers see "Part 2 of 3", never a gap. ``others`` holds the
    series' published parts (the note page's neighbours)."""
    if note.series_id is None:
        return None
    parts = sorted(
        (other for other in others if other.series_id == note.series_id),
        key=lambda part: (
            part.series_position is None,
            part.series_position or 0,
            part.published_at,
            part.created_at,
            part.pk,
        ),
    )
    index = next((i for i, part in enumerate(parts) if part.pk == note.pk), None)
    return {
        "series": note.series,
        "parts": parts,
        "current": note.pk,
        "number": index + 1 if index is not None else None,
        "previous": parts[index - 1] if index else None,
        "next": parts[index + 1] if index is not None and index + 1 < len(parts) else None,
    }


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
        context["feeds"] = feed_links(
            f"{self.object.title} · {settings.SITE_NAME}",
            reverse("notes:series-feed", kwargs={"slug": self.object.slug}),
            reverse("notes:series-feed-atom", kwargs={"slug": self.object.slug}),
        )
        return context


class NoteDetailView(NoteContextMixin, PublishedNotesMixin, DetailView):
    model = Note
    context_object_name = "note"

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            self.object = self.get_object()
        except Http404:
            # A slug the note had before: a permanent redirect to where it lives now, only for
            # notes readers may see (a draft's old address stays a 404 like the draft).
            old = (
                OldName.objects.filter(
                    kind=OldName.Kind.SLUG,
                    key=kwargs["slug"],
                    note__in=Note.objects.published(),
                )
                .select_related("note")
                .only("note__slug")
                .first()
            )
            if old is None:
                raise
            return HttpResponsePermanentRedirect(old.note.get_absolute_url())
        return self.render_to_response(self.get_context_data(object=self.object))

    def get_object(self, queryset: QuerySet[Note] | None = None) -> Note:
        note = (
            self.get_queryset()
            .select_related("category", "series", "author")
            .filter(slug=self.kwargs["slug"])
            .first()
        )
        if note is None:
            raise Http404("No note readers may see has this address.")
        return note


def paper_bibtex(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """One paper's BibTeX entry, as a download; only for papers of notes readers can see."""
    paper = get_object_or_404(
        Paper.objects.select_related("note"),
        pk=pk,
        note__slug=slug,
        note__in=Note.objects.published(),
    )
    response = HttpResponse(paper.bibtex(), content_type="application/x-bibtex; charset=utf-8")
    filename = paper.bibtex().split("{", 1)[1].split(",", 1)[0] or "paper"
    response["Content-Disposition"] = f'attachment; filename="{filename}.bib"'
    return response


@method_decorator([staff_member_required, never_cache], name="dispatch")
class NotePreviewView(NoteContextMixin, DetailView):
    """Staff see any note, draft or scheduled, exactly as readers will; never cached or indexed."""

    model = Note
    context_object_name = "note"
    template_name = "notes/note_detail.html"
    preview = True

    def get_queryset(self) -> QuerySet[Note]:
        return Note.objects.select_related("category", "author", "series")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["preview"] = True
        return context

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response


class SearchView(TemplateView):
    """``/search/?q=…``: published notes matching the query, 20 a page, best (or newest)
    first, each with a highlighted snippet; filters by category and tag keep the query.

    A fixed handful of queries whatever the number of notes: the match and count in one, the
    page's notes with their category, tags and papers, and their stored text for snippets.
    """

    template_name = "notes/search.html"
    orders = ("relevance", "newest")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        query = search.parse(params.get("q", ""))
        order = params.get("sort") if params.get("sort") in self.orders else "relevance"
        candidates = Note.objects.published()
        category = tag = None
        if params.get("category"):
            category = get_object_or_404(Category, slug=_filter_slug(params["category"]))
            candidates = candidates.filter(category=category)
        if params.get("tag"):
            tag = get_object_or_404(Tag, slug=_filter_slug(params["tag"]))
            candidates = candidates.filter(tags=tag)
        number = _page_number(params.get("page"))
        per_page = settings.NOTES_PER_PAGE
        found = search.search(
            query, candidates, order=order, offset=(number - 1) * per_page, limit=per_page
        )
        paginator = Paginator(_Found(found.total), per_page)
        if query and found.total and number > paginator.num_pages:
            raise Http404("No such page of results.")
        page = paginator.get_page(number)
        # What a result shows: its stored card, tags and search text (for the snippet).
        by_id = (
            listed(Note.objects.all())
            .annotate(search_text=F("search_document__text"))
            .in_bulk(found.ids)
        )
        results = [by_id[pk] for pk in found.ids]
        for note in results:
            note.snippet = search_snippet(note.search_text or "", query, fallback=note.excerpt)
        keep = {"q": query.text, "sort": order if order != "relevance" else ""}
        filters = {"category": category.slug if category else "", "tag": tag.slug if tag else ""}
        context.update(
            query=query,
            max_query_length=search.MAX_QUERY_LENGTH,
            search_query=query.text,
            notes=results,
            total=found.total,
            more=found.more,
            order=order,
            category=category,
            tag=tag,
            page_obj=page,
            is_paginated=paginator.num_pages > 1,
            page_range=paginator.get_elided_page_range(page.number),
            page_query=_querystring({**keep, **filters}),
            keep_query=_querystring(keep),
            filter_query=_querystring({"q": query.text, **filters}),
            feeds=feed_links(
                f"“{query.text}” · {settings.SITE_NAME}",
                f"{reverse('notes:search-feed')}?{_querystring({'q': query.text})}",
                f"{reverse('notes:search-feed-atom')}?{_querystring({'q': query.text})}",
            )
            if query
            else context.get("feeds", []),
        )
        return context


class _Found:
    """What Paginator needs of a result list it never reads: its length."""

    def __init__(self, total: int) -> None:
        self.total = total

    def count(self) -> int:
        return self.total

    def __getitem__(self, index):
        return []


def _filter_slug(raw: str) -> str:
    """A category or tag filter is a slug; anything else names nothing (and a NUL character,
    which PostgreSQL refuses in a query, must not reach one: it answered 500)."""
    if not re.fullmatch(UnicodeSlugConverter.regex, raw):
        raise Http404("No such category or tag.")
    return raw


def _page_number(raw: str | None) -> int:
    number = 1 if raw is None else page_number(raw)
    if number is None:
        raise Http404("A page number is a whole number.")
    return number


def _querystring(values: dict[str, str]) -> str:
    return urlencode({key: value for key, value in values.items() if value})


def opensearch(request: HttpRequest) -> HttpResponse:
    """The OpenSearch description browsers read to offer the site's search."""
    return render(
        request,
        "opensearch.xml",
        {"base": site_url(request)},
        content_type="application/opensearchdescription+xml; charset=utf-8",
    )


def sitemap_index(request: HttpRequest) -> HttpResponse:
    """``/sitemap.xml``: one entry per section page (Django's index would take its addresses
    from the request's host rather than DJANGO_SITE_URL)."""
    base = site_url(request)
    # The site state knows when readers last saw a change and how many notes there are.
    site = state.current(request)
    last = site.changed_at
    items = []
    for section, sitemap_class in SITEMAPS.items():
        url = base + reverse("sitemap-section", kwargs={"section": section})
        sitemap = sitemap_class()
        pages = sitemap.page_count(site.total) if section == "notes" else sitemap.page_count()
        items += [SitemapIndexItem(url, last)]
        items += [SitemapIndexItem(f"{url}?p={page}", last) for page in range(2, pages + 1)]
    return TemplateResponse(
        request, "sitemap_index.xml", {"sitemaps": items}, content_type="application/xml"
    )


def robots_txt(request: HttpRequest) -> HttpResponse:
    """Crawl everything readers see; not the admin, previews or search results."""
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /preview/",
        "Disallow: /search/",
        f"Sitemap: {site_url(request)}{reverse('sitemap')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
