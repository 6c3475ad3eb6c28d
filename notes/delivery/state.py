"""The site's state as pages read it: one row (``SiteState``) with a version that every change
readers could see raises, the category navigation and the published notes' counts.

Only changes write it (``changed()``, from notes.derive, in the editor's transaction); readers
only read it, from the shared cache or in one query. A scheduled note goes live by the clock
alone: the row lists the scheduled notes' times and places, and a reader counts in those
whose time has come (``State``), so the version readers see moves on without a write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, F
from django.db.models.functions import ExtractMonth, ExtractYear
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

CACHE_KEY = "notes:site-state"
# How long a state a reader read from the database stays in the shared cache: a reader
# racing an editor's commit can leave the older version there this long at most.
READER_SECONDS = 10
EDITOR_SECONDS = 3600


@dataclass(frozen=True)
class State:
    version: int
    changed_at: datetime
    navigation: list[list]
    counts: dict
    # Scheduled notes whose time has come since the row was written, as (time, place).
    live: tuple = ()
    next_publish_at: datetime | None = None

    @property
    def tag(self) -> str:
        """What every public page's ETag and cache key carry."""
        return f"{self.version}.{len(self.live)}"

    @property
    def total(self) -> int:
        return self.counts.get("all", 0) + len(self.live)

    def _live_count(self, key: str, value) -> int:
        return sum(1 for _time, place in self.live if place[key] == value)

    def category_count(self, pk: int) -> int:
        return self.counts.get("category", {}).get(str(pk), 0) + self._live_count("category", pk)

    def series_count(self, pk: int) -> int:
        return self.counts.get("series", {}).get(str(pk), 0) + self._live_count("series", pk)

    def tag_count(self, tag_id: int, counted: int) -> int:
        """A tag's published notes: its stored count (``TagCount``) and those gone live."""
        return counted + sum(1 for _time, place in self.live if tag_id in place["tags"])

    def papers_count(self) -> int | None:
        """Papers readers may see (``Paper.objects.discussed()``), with those a note gone live
        since brought in; None for a row written before papers were counted."""
        if "papers" not in self.counts:
            return None
        new = {paper for _time, place in self.live for paper in place.get("papers", ())}
        return self.counts["papers"] + len(new)

    def live_tag_ids(self) -> set[int]:
        return {tag for _time, place in self.live for tag in place["tags"]}

    def month_counts(self) -> list[tuple[int, int, int]]:
        """(year, month, notes), newest first."""
        months = dict(self.counts.get("month", {}))
        for _time, place in self.live:
            months[place["month"]] = months.get(place["month"], 0) + 1
        rows = []
        for key, count in months.items():
            year, month = key.split("-")
            rows.append((int(year), int(month), count))
        return sorted(rows, reverse=True)

    def period_count(self, year: int, month: int | None = None) -> int:
        rows = self.month_counts()
        return sum(n for y, m, n in rows if y == year and (not month or m == month))


def _model(name: str):
    return apps.get_model("notes", name)


def shared_cache() -> bool:
    """Whether the cache is one every app server sees (a process's local memory is not)."""
    return settings.SITE_STATE_IN_CACHE


def changed() -> None:
    """Something readers can see changed: a new version with its counts, in the editor's
    transaction (other servers see the new version and the new content together)."""
    SiteState = _model("SiteState")
    now = timezone.now()
    navigation, counts, tag_counts = _count(now)
    if not SiteState.objects.filter(pk=1).update(
        version=F("version") + 1, changed_at=now, navigation=navigation, counts=counts
    ):
        SiteState.objects.create(
            pk=1, version=2, changed_at=now, navigation=navigation, counts=counts
        )
    TagCount = _model("TagCount")
    TagCount.objects.all().delete()
    TagCount.objects.bulk_create(
        [TagCount(tag_id=tag, notes=n) for tag, n in tag_counts], batch_size=1000
    )
    if shared_cache():
        # Once committed, the new state replaces whatever is cached: a reader that read the
        # row just before the commit may have put the old one back (readers only add).
        transaction.on_commit(lambda: cache.set(CACHE_KEY, _read(), EDITOR_SECONDS))


def bump() -> None:
    """A new version with the counts as they are (``changed()`` follows within the batch)."""
    SiteState = _model("SiteState")
    SiteState.objects.filter(pk=1).update(version=F("version") + 1, changed_at=timezone.now())
    if shared_cache():
        transaction.on_commit(lambda: cache.set(CACHE_KEY, _read(), EDITOR_SECONDS))


def current(request: HttpRequest | None = None) -> State:
    """The state for this request (read once per request)."""
    if request is not None and hasattr(request, "_site_state"):
        return request._site_state
    stored = cache.get(CACHE_KEY) if shared_cache() else None
    return _settle(request, stored)


def current_with(request: HttpRequest, key: str) -> tuple[State, object]:
    """The state and one more cache entry (a page), in one round trip to a shared cache."""
    if hasattr(request, "_site_state") or not shared_cache():
        return current(request), cache.get(key)
    found = cache.get_many([CACHE_KEY, key])
    return _settle(request, found.get(CACHE_KEY)), found.get(key)


def _settle(request: HttpRequest | None, stored: dict | None) -> State:
    if stored is None:
        stored = _read()
        if shared_cache():
            cache.add(CACHE_KEY, stored, READER_SECONDS)
    state = _as_of(stored, timezone.now())
    if request is not None:
        request._site_state = state
    return state


def _read() -> dict:
    """The row as stored, or an empty site's state before any change wrote one."""
    row = (
        _model("SiteState")
        .objects.filter(pk=1)
        .values("version", "changed_at", "navigation", "counts")
        .first()
    )
    return row or {"version": 1, "changed_at": None, "navigation": [], "counts": {}}


def _as_of(stored: dict, now: datetime) -> State:
    live, upcoming = [], None
    for when, place in stored["counts"].get("scheduled", []):
        moment = parse_datetime(when)
        if moment <= now:
            live.append((moment, place))
        elif upcoming is None or moment < upcoming:
            upcoming = moment
    changed_at = stored["changed_at"] or timezone.make_aware(datetime(2000, 1, 1))
    if live:
        changed_at = max(changed_at, *(moment for moment, _place in live))
    return State(
        version=stored["version"],
        changed_at=changed_at,
        navigation=stored["navigation"],
        counts=stored["counts"],
        live=tuple(live),
        next_publish_at=upcoming,
    )


def _count(now: datetime) -> tuple[list, dict, list]:
    """The navigation, the published notes' counts and scheduled notes, and the tags'
    counts, as of ``now``."""
    from taggit.models import TaggedItem

    Note, Category = _model("Note"), _model("Category")
    published = Note.objects.published(now)
    counts: dict = {"all": 0, "category": {}, "series": {}, "month": {}}
    rows = (
        published.annotate(year=ExtractYear("published_at"), month=ExtractMonth("published_at"))
        .order_by()
        .values_list("category_id", "series_id", "year", "month")
        .annotate(n=Count("pk"))
    )
    for category, series, year, month, n in rows:
        counts["all"] += n
        counts["category"][str(category)] = counts["category"].get(str(category), 0) + n
        if series is not None:
            counts["series"][str(series)] = counts["series"].get(str(series), 0) + n
        key = f"{year}-{month:02d}"
        counts["month"][key] = counts["month"].get(key, 0) + n
    note_type = ContentType.objects.get_for_model(Note)
    scheduled = list(
        Note.objects.filter(status=Note.Status.PUBLISHED, published_at__gt=now)
        .order_by("published_at")
        .values_list("pk", "published_at", "category_id", "series_id")
    )
    tags: dict[int, list[int]] = {}
    for note, tag in TaggedItem.objects.filter(
        content_type=note_type, object_id__in=[row[0] for row in scheduled]
    ).values_list("object_id", "tag_id"):
        tags.setdefault(note, []).append(tag)
    counts["papers"] = _model("Paper").objects.discussed(now).count()
    new_papers = _new_papers([row[0] for row in scheduled], now) if scheduled else {}
    counts["scheduled"] = [
        [
            when.isoformat(),
            {
                "category": category,
                "series": series,
                "month": f"{timezone.localtime(when):%Y-%m}",
                "tags": sorted(tags.get(pk, [])),
                "papers": sorted(new_papers.get(pk, [])),
            },
        ]
        for pk, when, category, series in scheduled
    ]
    navigation = [
        [category.pk, category.name, category.slug]
        for category in Category.objects.only("name", "slug")
    ]
    tag_counts = list(
        TaggedItem.objects.filter(content_type=note_type, object_id__in=published.values("pk"))
        .values_list("tag_id")
        .annotate(n=Count("pk"))
    )
    return navigation, counts, tag_counts


def _new_papers(scheduled: list[int], now: datetime) -> dict[int, set[int]]:
    """For each scheduled note, the papers it lists or cites that no published note does yet:
    readers count them in when it goes live."""
    Note, Paper = _model("Note"), _model("Paper")
    theirs: dict[int, set[int]] = {}
    for model in (_model("NotePaper"), Note.cites.through):
        for note, paper in model.objects.filter(note__in=scheduled).values_list(
            "note_id", "paper_id"
        ):
            theirs.setdefault(note, set()).add(paper)
    mentioned = set().union(*theirs.values())
    seen = set(Paper.objects.discussed(now).filter(pk__in=mentioned).values_list("pk", flat=True))
    return {note: papers - seen for note, papers in theirs.items()}
