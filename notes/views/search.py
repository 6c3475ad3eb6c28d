"""Search results: published notes matching a query, with a snippet around the match."""

import re
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.generic import TemplateView
from taggit.models import Tag

from notes import search
from notes.chrome import feed_links
from notes.converters import UnicodeSlugConverter, page_number
from notes.models import Category, Note
from notes.search.snippets import formulas_of
from notes.search.snippets import snippet as search_snippet
from notes.views.lists import LIST_FIELDS


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
        # What a result shows: its card's fields, and its search text for the snippet.
        by_id = (
            Note.objects.select_related("category")
            .only(*LIST_FIELDS, "body_html")  # the body for its formulas' MathML
            .annotate(search_text=F("search_document__text"))
            .in_bulk(found.ids)
        )
        results = [by_id[pk] for pk in found.ids]
        for note in results:
            note.snippet = search_snippet(
                note.search_text or "",
                query,
                fallback=note.excerpt,
                fallback_html=note.excerpt_html,
                formulas=formulas_of(note.body_html),
            )
        keep = {"q": query.text, "sort": order if order != "relevance" else ""}
        filters = {"category": category.slug if category else "", "tag": tag.slug if tag else ""}
        context.update(
            query=query,
            max_query_length=search.MAX_QUERY_LENGTH,
            search_query=query.text,
            notes=results,
            cards_have_math=any("<math" in note.snippet for note in results),
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
    which PostgreSQL refuses in a query, must not reach one)."""
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
