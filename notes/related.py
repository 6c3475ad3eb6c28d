"""Related notes: what a reader of one note is likely to read next.

Scored from what editors already recorded, never from splitting Chinese text into words:
shared tags (a rare tag says more than a common one), the same paper, a wiki link either way,
the same category. A fixed handful of queries whatever the number of notes.
"""

from __future__ import annotations

import math

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count
from taggit.models import TaggedItem

LIMIT = 5
# How much each kind of evidence weighs: a link or a shared paper outweighs a rare tag.
LINK, PAPER, CATEGORY = 2.0, 3.0, 0.5
CANDIDATES = 30  # the best tag matches kept per note, before the other evidence is added
# Tag evidence is looked for among this many newest notes: the cost of a save stays the same
# at 100,000 notes (a common tag would otherwise be scanned whole).
RECENT = 5000


def _note_model():
    # notes.models stores what this module computes; it is looked up, not imported, so the
    # import direction stays one way.
    return apps.get_model("notes", "Note")


def tag_weights(tag_ids: list[int], recent) -> dict[int, float]:
    """1 / log2(1 + recent notes with the tag): on two notes it counts 0.63, on 100 notes 0.15."""
    counts = (
        TaggedItem.objects.filter(
            content_type=ContentType.objects.get_for_model(_note_model()),
            tag_id__in=tag_ids,
            object_id__in=recent,
        )
        .values_list("tag_id")
        .annotate(n=Count("pk"))
    )
    return {tag_id: 1 / math.log2(1 + n) for tag_id, n in counts}


def recent_notes():
    """The newest published notes, where tag evidence is looked for (a subquery)."""
    Note = _note_model()
    return (
        Note.objects.filter(status=Note.Status.PUBLISHED)
        .order_by("-published_at", "-id")
        .values("pk")[:RECENT]
    )


def tag_candidates(
    pk: int, tag_ids: list[int], weights: dict[int, float] | None = None
) -> list[list]:
    """The notes sharing the most (and the rarest) tags with note ``pk`` (``candidates``)."""
    return candidates({pk: tag_ids}, weights)[pk]


def candidates(
    tags: dict[int, list[int]], weights: dict[int, float] | None = None
) -> dict[int, list[list]]:
    """For each note ``{pk: its tag ids}``, the notes sharing the most (and the rarest) tags
    with it: [[id, score], ...], best first, stored in ``Note.related_data``. One query for
    all of them (two without ``weights``), scored here: a batch of imported notes costs what
    one saved note does. Drafts are left out; scheduled notes are kept, and pages show only
    what is public when they run."""
    found: dict[int, list[list]] = {pk: [] for pk in tags}
    all_tags = {tag for tag_ids in tags.values() for tag in tag_ids}
    if not all_tags:
        return found
    recent = recent_notes()
    if weights is None:
        weights = tag_weights(list(all_tags), recent)
    weighted = all_tags & weights.keys()
    if not weighted:
        return found
    notes_with: dict[int, list[int]] = {}
    for other, tag in TaggedItem.objects.filter(
        content_type=ContentType.objects.get_for_model(_note_model()),
        tag_id__in=weighted,
        object_id__in=recent,
    ).values_list("object_id", "tag_id"):
        notes_with.setdefault(tag, []).append(other)
    for pk, tag_ids in tags.items():
        scores: dict[int, float] = {}
        for tag in dict.fromkeys(tag_ids):
            for other in notes_with.get(tag, ()):
                if other != pk:
                    scores[other] = scores.get(other, 0.0) + weights[tag]
        best = sorted(scores.items(), key=lambda item: (-item[1], -item[0]))[:CANDIDATES]
        found[pk] = [[other, round(value, 4)] for other, value in best]
    return found


def update_reverse(changes: dict[int, tuple[list[list], list[list]]]) -> None:
    """Shared tags go both ways: each changed note (``{pk: (previous, current)}``, its old and
    new candidates) enters or leaves the candidates of the notes it now shares tags with, or
    no longer does, so an older note's page lists a newer related note without being saved
    again. Two queries for the whole change, whatever the number of notes. The changed notes'
    own candidates are the ones just computed, and are left alone."""
    Note = _note_model()
    # For each other note: which changed notes touch it, with their score now (None: gone).
    touching: dict[int, dict[int, float | None]] = {}
    for pk, (previous, current) in changes.items():
        for other, _value in previous:
            touching.setdefault(other, {})[pk] = None
        for other, value in current:
            touching.setdefault(other, {})[pk] = value
    for pk in changes:
        touching.pop(pk, None)
    if not touching:
        return
    changed = []
    for other in Note.objects.filter(pk__in=touching).only("related_data"):
        scores = touching[other.pk]
        entries = [entry for entry in other.related_data if entry[0] not in scores]
        entries += [[pk, value] for pk, value in scores.items() if value is not None]
        entries.sort(key=lambda entry: (-entry[1], -entry[0]))
        entries = entries[:CANDIDATES]
        if entries != other.related_data:
            other.related_data = entries
            changed.append(other)
    if changed:
        Note.objects.bulk_update(changed, ["related_data"], batch_size=500)


def pick(note, candidates: list, *, linked: set[int], same_paper: set[int]) -> list:
    """Up to LIMIT of ``candidates`` (published notes fetched with the page: the stored tag
    candidates, linked notes, notes on the same paper and the newest of the category), best
    first."""
    tag_scores = {other: value for other, value in note.related_data}
    in_category = sorted(
        (other for other in candidates if other.category_id == note.category_id),
        key=lambda other: (other.published_at, other.pk),
        reverse=True,
    )[:LIMIT]
    fill = {other.pk for other in in_category}
    scored = []
    for other in candidates:
        if other.pk == note.pk:
            continue
        score = tag_scores.get(other.pk, 0.0)
        score += LINK if other.pk in linked else 0.0
        score += PAPER if other.pk in same_paper else 0.0
        if not score and other.pk not in fill:
            continue
        score += CATEGORY if other.category_id == note.category_id else 0.0
        other.related_score = score
        scored.append(other)
    scored.sort(key=lambda other: (-other.related_score, -other.published_at.timestamp()))
    return scored[:LIMIT]
