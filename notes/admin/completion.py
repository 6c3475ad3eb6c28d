"""Wiki-link completion for the note form: note titles offered as an editor types ``[[``."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, URLResolver, path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from notes import search
from notes.models import Note, OldName
from notes.rendering.markdown_ext import wiki_key
from notes.search.backends import Tier, backend_for
from notes.search.query import clean

# A completion list longer than this is read by nobody: type one more character instead.
LIMIT = 10
# Half of a UTF-16 pair, alone: neither database driver can encode it, so it must not reach one.
_SURROGATES = re.compile("[\ud800-\udfff]")
# A title is typed literally: a quote or a leading minus is part of it, not a search operator.
_OPERATORS = re.compile(r'"|(?:^|(?<=\s))-+')
_FIELDS = ("pk", "title", "slug", "status", "published_at")
# What a [[link]] target cannot hold (notes.rendering.markdown_ext.wikilinks.WIKI_LINK_RE).
_UNLINKABLE = re.compile(r"[\[\]|\n]")


def completion_messages() -> dict[str, str]:
    """The words the completion list shows, in the admin's language."""
    return {
        "label": str(_("Note titles")),
        "old": str(_("old title: %(title)s")),
        "empty": str(_("No note has a title like this yet.")),
        "draft": str(Note.Status.DRAFT.label),
        "published": str(Note.Status.PUBLISHED.label),
        "scheduled": str(_("Scheduled")),
    }


def typed_text(raw: str) -> str:
    """What the editor typed after ``[[``, safe for any database: no control characters or
    lone surrogates, at most the site search's query length."""
    text, _truncated = clean(_SURROGATES.sub("", raw))
    return text


def note_titles(candidates: QuerySet[Note], raw: str) -> list[dict[str, str]]:
    """At most LIMIT titles (current or old) among ``candidates`` for what was typed.

    Two queries whatever the number of notes: the notes whose title starts with the text,
    contains it, or matches it as the site search matches a title (its tokenizer and its
    engine's full-text index, so Chinese and word forms work as on /search/); then the old
    titles that contain it. The recently edited notes when nothing was typed: one query."""
    candidates = candidates.prefetch_related(None).order_by()
    text = typed_text(raw)
    key = wiki_key(text)
    if not key:
        recent = candidates.order_by("-updated_at", "-pk").values(*_FIELDS)[:LIMIT]
        return [_entry(row) for row in recent]
    # The search's title tier over any notes (drafts included): the same parsing and engine
    # as /search/. Short CJK prefixes and partial words are the substring test's.
    matching = Q(title_key__contains=key)
    query = search.parse(_OPERATORS.sub(" ", text))
    if query:
        matching |= backend_for(candidates).matches(query, Tier.TITLE)
    rank = Case(
        When(title_key__startswith=key, then=Value(0)),
        When(title_key__contains=key, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    current = list(
        candidates.filter(matching)
        .annotate(completion_rank=rank)
        .order_by("completion_rank", "-updated_at", "-pk")
        .values(*_FIELDS, "completion_rank")[:LIMIT]
    )
    old_rank = Case(
        When(key__startswith=key, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    old = list(
        OldName.objects.filter(
            kind=OldName.Kind.TITLE, key__contains=key, note__in=candidates.values("pk")
        )
        .annotate(completion_rank=old_rank)
        .order_by("completion_rank", "-created_at", "-pk")
        .values("key", "completion_rank", *(f"note__{name}" for name in _FIELDS))[:LIMIT]
    )
    # A note found by its current title is not offered again by an old one; within a rank,
    # current titles come first, each list keeping its own order (sorted() is stable).
    ranked = [(row["completion_rank"], 0, row) for row in current]
    ranked += [(row["completion_rank"], 1, row) for row in old]
    ranked.sort(key=lambda item: item[:2])
    seen: set[int] = set()
    results = []
    for _rank, is_old, row in ranked:
        prefix = "note__" if is_old else ""
        note = {name: row[f"{prefix}{name}"] for name in _FIELDS}
        if note["pk"] in seen:
            continue
        seen.add(note["pk"])
        entry = _entry(note)
        if is_old:
            entry["old_title"] = row["key"]
        results.append(entry)
    return results[:LIMIT]


def _entry(note: dict[str, Any]) -> dict[str, str]:
    """A note as the list shows it; ``link``, what to write in [[ ]] when its title cannot be."""
    status, published_at = note["status"], note["published_at"]
    # Published with a date still to come: readers cannot follow a link to it yet.
    if status == Note.Status.PUBLISHED and published_at and published_at > timezone.now():
        status = "scheduled"
    entry = {"title": note["title"], "status": status}
    if _UNLINKABLE.search(note["title"]):
        entry["link"] = note["slug"]
    return entry


class TitleCompletionMixin:
    """For a ModelAdmin of notes: ``titles/?q=…``, the JSON the note form's ``[[`` completion
    asks (static/admin/note-complete.js), for staff who may see the notes."""

    def get_urls(self) -> list[URLPattern | URLResolver]:
        view = self.admin_site.admin_view(require_GET(self.titles_view))
        name = f"{self.opts.app_label}_{self.opts.model_name}_titles"
        # Ahead of the admin's own patterns: its "<path:object_id>/" would take the address.
        return [path("titles/", view, name=name), *super().get_urls()]

    def titles_view(self, request: HttpRequest) -> JsonResponse:
        """``{"results": [{"title", "status", "old_title"?}, …]}``; drafts included, as the
        note list shows them to the same people."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        titles = note_titles(self.get_queryset(request), request.GET.get("q", ""))
        return JsonResponse({"results": titles})
