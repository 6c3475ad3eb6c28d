"""The site's state as pages read it: one row (``SiteState``) with a version every change
readers could see raises, the category navigation and the published notes' counts.

Editors' saves only raise the version (one UPDATE, in their transaction). The first request
that finds the counts made for an older version, or a scheduled note's time come, renews
them (a few GROUP BY queries, once per change). With a shared cache (Redis) the row is kept
there too, so a page reads its state without asking the database.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, F
from django.db.models.functions import ExtractMonth, ExtractYear
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

logger = logging.getLogger(__name__)
CACHE_KEY = "notes:site-state"
# How long a state a page read from the database stays in the shared cache.
READER_SECONDS = 10


@dataclass(frozen=True)
class State:
    version: int
    changed_at: datetime
    next_publish_at: datetime | None
    navigation: list[list]
    counts: dict

    @property
    def total(self) -> int:
        return self.counts.get("all", 0)

    def category_count(self, pk: int) -> int:
        return self.counts.get("category", {}).get(str(pk), 0)

    def series_count(self, pk: int) -> int:
        return self.counts.get("series", {}).get(str(pk), 0)

    def month_counts(self) -> list[tuple[int, int, int]]:
        """(year, month, notes), newest first."""
        rows = []
        for key, count in self.counts.get("month", {}).items():
            year, month = key.split("-")
            rows.append((int(year), int(month), count))
        return sorted(rows, reverse=True)

    def period_count(self, year: int, month: int | None = None) -> int:
        months = self.counts.get("month", {})
        if month:
            return months.get(f"{year}-{month:02d}", 0)
        prefix = f"{year}-"
        return sum(count for key, count in months.items() if key.startswith(prefix))


def _model(name: str):
    return apps.get_model("notes", name)


def shared_cache() -> bool:
    """Whether the cache is one every app server sees (a process's local memory is not)."""
    return settings.SITE_STATE_IN_CACHE


def cache_get(key: str):
    try:
        return cache.get(key)
    except Exception:  # an unreachable Redis: the site answers from the database meanwhile
        logger.warning("Cache unreachable reading %s", key, exc_info=True)
        return None


def cache_get_many(keys: list[str]) -> dict:
    try:
        return cache.get_many(keys)
    except Exception:
        logger.warning("Cache unreachable reading %s", keys, exc_info=True)
        return {}


def cache_set(key: str, value, timeout: int | None = None) -> None:
    try:
        cache.set(key, value, timeout)
    except Exception:
        logger.warning("Cache unreachable writing %s", key, exc_info=True)


def cache_add(key: str, value, timeout: int | None = None) -> None:
    try:
        cache.add(key, value, timeout)
    except Exception:
        logger.warning("Cache unreachable writing %s", key, exc_info=True)


def cache_delete(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:
        logger.warning("Cache unreachable deleting %s", key, exc_info=True)


def changed() -> None:
    """Something readers can see changed: raise the version (in the editor's transaction, so
    other servers see the new version and the new content together)."""
    SiteState = _model("SiteState")
    now = timezone.now()
    if not SiteState.objects.filter(pk=1).update(version=F("version") + 1, changed_at=now):
        SiteState.objects.get_or_create(pk=1, defaults={"version": 2, "changed_at": now})
    if shared_cache():
        # Once the change is committed, the new state goes into the cache over whatever is
        # there: a reader that read the row just before the commit may have put the old one
        # back (readers only add, so it cannot overwrite this one afterwards).
        transaction.on_commit(_publish)


def _publish() -> None:
    state = _load()
    cache_set(CACHE_KEY, state, timeout=_seconds_until(state.next_publish_at, 3600))


def current(request: HttpRequest | None = None) -> State:
    """The state for this request (read once per request)."""
    if request is not None and hasattr(request, "_site_state"):
        return request._site_state
    return _settle(request, cache_get(CACHE_KEY) if shared_cache() else None)


def current_with(request: HttpRequest, key: str) -> tuple[State, object]:
    """The state and one more cache entry (a page), in one round trip to a shared cache."""
    if hasattr(request, "_site_state") or not shared_cache():
        return current(request), cache_get(key)
    found = cache_get_many([CACHE_KEY, key])
    return _settle(request, found.get(CACHE_KEY)), found.get(key)


def _settle(request: HttpRequest | None, state: State | None) -> State:
    if state is None or _due(state):
        replacing = state is not None
        state = _load()
        if shared_cache():
            # A reader's copy never replaces an editor's (see changed()), and lives briefly: a
            # reader racing a scheduled note's time against an editor's commit can leave an
            # older version for READER_SECONDS at most.
            timeout = _seconds_until(state.next_publish_at, READER_SECONDS)
            if replacing:
                cache_set(CACHE_KEY, state, timeout=timeout)
            else:
                cache_add(CACHE_KEY, state, timeout=timeout)
    if request is not None:
        request._site_state = state
    return state


def _due(state: State) -> bool:
    return state.next_publish_at is not None and timezone.now() >= state.next_publish_at


def _seconds_until(moment: datetime | None, default: int) -> int:
    if moment is None:
        return default
    return max(1, min(default, int((moment - timezone.now()).total_seconds()) + 1))


def _load() -> State:
    fast = _read()
    if fast is not None:
        return fast
    SiteState = _model("SiteState")
    row = SiteState.objects.filter(pk=1).first()
    if row is None:
        row, _ = SiteState.objects.get_or_create(pk=1)
    if row.next_publish_at is not None and timezone.now() >= row.next_publish_at:
        # A scheduled note's time has come: a new version, dated when it went live.
        SiteState.objects.filter(pk=1, version=row.version).update(
            version=F("version") + 1, changed_at=row.next_publish_at
        )
        row.refresh_from_db()
    if row.counted_version != row.version:
        _recount(row)
    return State(
        version=row.version,
        changed_at=row.changed_at,
        next_publish_at=row.next_publish_at,
        navigation=row.navigation,
        counts=row.counts,
    )


def _read() -> State | None:
    """The row as it is, in one plain SELECT (every page does this without Redis; the ORM's
    query building cost more than the query), or None when it needs work first: missing,
    counted for an older version, or a scheduled note's time has come."""
    table = connection.ops.quote_name(_model("SiteState")._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT version, changed_at, counted_version, next_publish_at, navigation, counts"
            f" FROM {table} WHERE id = 1"
        )
        row = cursor.fetchone()
    if row is None:
        return None
    version, changed_at, counted_version, next_publish_at, navigation, counts = row
    next_publish_at = _datetime(next_publish_at)
    if counted_version != version or (
        next_publish_at is not None and timezone.now() >= next_publish_at
    ):
        return None
    return State(
        version=version,
        changed_at=_datetime(changed_at),
        next_publish_at=next_publish_at,
        navigation=_json(navigation),
        counts=_json(counts),
    )


def _datetime(value: datetime | str | None) -> datetime | None:
    # PostgreSQL hands back an aware datetime; SQLite a naive one (or text) in UTC.
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if timezone.is_aware(value) else timezone.make_aware(value, UTC)


def _json(value):
    return json.loads(value) if isinstance(value, str | bytes) else value


def _recount(row) -> None:
    """Navigation and counts for the row's version, stored unless a newer version came in."""
    Note, Category, TagCount = _model("Note"), _model("Category"), _model("TagCount")
    from taggit.models import TaggedItem

    now = timezone.now()
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
    navigation = [
        [category.pk, category.name, category.slug]
        for category in Category.objects.only("name", "slug")
    ]
    next_publish = (
        Note.objects.filter(status=Note.Status.PUBLISHED, published_at__gt=now)
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    tag_counts = (
        TaggedItem.objects.filter(
            content_type=ContentType.objects.get_for_model(Note),
            object_id__in=published.values("pk"),
        )
        .values_list("tag_id")
        .annotate(n=Count("pk"))
    )
    with transaction.atomic():
        stored = (
            type(row)
            .objects.filter(pk=1, version=row.version)
            .update(
                counted_version=row.version,
                navigation=navigation,
                counts=counts,
                next_publish_at=next_publish,
            )
        )
        if stored:
            TagCount.objects.all().delete()
            TagCount.objects.bulk_create(
                [TagCount(tag_id=tag, notes=n) for tag, n in tag_counts], batch_size=1000
            )
    row.navigation, row.counts, row.next_publish_at = navigation, counts, next_publish
