"""Related notes: what a reader of one note is likely to read next.

Scored from what editors already recorded, never from splitting Chinese text into words:
shared tags (a rare tag says more than a common one), the same paper, a wiki link either way,
the same category. A fixed handful of queries whatever the number of notes.
"""

from __future__ import annotations

import math

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, Count, FloatField, Q, Sum, Value, When
from taggit.models import TaggedItem

from notes.models import Note

LIMIT = 5
# How much each kind of evidence weighs: a link or a shared paper outweighs a rare tag.
LINK, PAPER, CATEGORY = 2.0, 3.0, 0.5
CANDIDATES = 30  # the best tag matches considered, before the other evidence is added
# Tag evidence is looked for among this many newest notes: the cost stays the same at 100,000
# notes (a common tag would otherwise be scanned whole on every page view).
RECENT = 5000


def tag_weights(tag_ids: list[int], recent) -> dict[int, float]:
    """1 / log2(1 + recent notes with the tag): on two notes it counts 0.63, on 100 notes 0.15."""
    counts = (
        TaggedItem.objects.filter(
            content_type=ContentType.objects.get_for_model(Note),
            tag_id__in=tag_ids,
            object_id__in=recent,
        )
        .values_list("tag_id")
        .annotate(n=Count("pk"))
    )
    return {tag_id: 1 / math.log2(1 + n) for tag_id, n in counts}


def related_notes(
    note: Note, *, tag_ids: list[int], linked: list[Note], same_paper: list[Note]
) -> list[Note]:
    """Up to LIMIT published notes, best first; ``linked`` (either way) and ``same_paper`` are
    the published notes the page already has."""
    published = Note.objects.published()
    scores: dict[int, float] = {}
    recent = published.order_by("-published_at", "-id").values("pk")[:RECENT]
    weights = tag_weights(tag_ids, recent) if tag_ids else {}
    if weights:
        score = Sum(
            Case(
                *(When(tag_id=tag, then=Value(weight)) for tag, weight in weights.items()),
                output_field=FloatField(),
            )
        )
        rows = (
            TaggedItem.objects.filter(
                content_type=ContentType.objects.get_for_model(Note),
                tag_id__in=weights,
                object_id__in=recent,
            )
            .exclude(object_id=note.pk)
            .values_list("object_id")
            .annotate(score=score)
            .order_by("-score", "-object_id")[:CANDIDATES]
        )
        scores.update(rows)
    for other in linked:
        scores[other.pk] = scores.get(other.pk, 0.0) + LINK
    for other in same_paper:
        scores[other.pk] = scores.get(other.pk, 0.0) + PAPER
    scores.pop(note.pk, None)
    # One query for the scored notes and, should the evidence be thin, the newest notes of
    # the same category, which fill the list.
    newest_in_category = (
        published.filter(category_id=note.category_id).exclude(pk=note.pk).values("pk")[:LIMIT]
    )
    candidates = list(
        published.filter(Q(pk__in=list(scores)) | Q(pk__in=newest_in_category)).only(
            "title", "slug", "category_id", "published_at", "lang"
        )
    )
    for other in candidates:
        same_category = CATEGORY if other.category_id == note.category_id else 0.0
        other.related_score = scores.get(other.pk, 0.0) + same_category
    candidates.sort(key=lambda other: (-other.related_score, -other.published_at.timestamp()))
    return candidates[:LIMIT]
