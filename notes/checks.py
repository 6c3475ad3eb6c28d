"""System checks: the search index was written by the tokenizer this code runs."""

from __future__ import annotations

from django.core.checks import Warning, register
from django.db import DatabaseError


@register()
def search_index_is_current(app_configs, **kwargs) -> list[Warning]:
    from notes.models import Note, SearchDocument
    from notes.search import TOKENIZER_VERSION

    try:
        notes = Note.objects.count()
        current = SearchDocument.objects.filter(version=TOKENIZER_VERSION).count()
    except DatabaseError:  # not migrated yet: nothing to compare
        return []
    if current == notes:
        return []
    return [
        Warning(
            f"The search index is out of date: {notes - current} of {notes} notes were indexed "
            "by another tokenizer version, or not at all.",
            hint="Run `python manage.py rebuild_search_index`.",
            id="notes.W001",
        )
    ]
