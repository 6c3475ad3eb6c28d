"""Shared by the search tests (test_search_*.py): the search page and what a query finds."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse

from notes.models import Note
from notes.search import parse, search

SEARCH = reverse("notes:search")
DAY = timedelta(days=1)


def found(query: str, **filters) -> list[str]:
    """Slugs of the published notes the query finds, best first."""
    candidates = Note.objects.published().filter(**filters)
    page = search(parse(query), candidates, order="relevance", offset=0, limit=100)
    by_id = Note.objects.in_bulk(page.ids)
    return [by_id[pk].slug for pk in page.ids]
