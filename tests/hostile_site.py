"""The site of tests/test_hostile.py: every field of one note per payload hostile, and reading
it back."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import unquote

from django.contrib.auth import get_user_model
from django.test import TestCase
from django.utils import timezone
from taggit.models import Tag, TaggedItem

from notes.models import (
    Category,
    Figure,
    Note,
    NotePaper,
    NoteUpdate,
    Paper,
    Series,
    TagAlias,
    unique_slug,
)
from notes.rendering import normalize_source
from tests.factories import settle
from tests.hostile_corpus import MARKER, PAYLOADS
from tests.hostile_scan import Scan, scan_feed, scan_html

# --- The data -----------------------------------------------------------------------------

# Each field, its code in the markers and the most characters the field holds (None: text).
FIELDS: dict[str, tuple[str, int | None]] = {
    "note title": ("t", 300),
    "note short title": ("h", 100),
    "note summary": ("u", None),
    "note body": ("b", None),
    "note body, inline": ("i", None),
    "note body, excerpt": ("x", None),
    "category name": ("c", 100),
    "category description": ("d", None),
    "tag name": ("g", 100),
    "tag alias": ("a", 100),
    "series title": ("s", 200),
    "series description": ("e", None),
    "paper title": ("p", 500),
    "paper authors": ("w", None),
    "paper venue": ("v", 200),
    "paper DOI": ("o", 200),
    "figure alt text": ("l", 300),
    "figure caption": ("k", 300),
    "update summary": ("z", 200),
}


def mark(field_name: str, index: int, side: int = 0) -> str:
    """The harmless word before (side 0) or after (side 1) a payload: "安全文本t017甲"."""
    return f"{MARKER}{FIELDS[field_name][0]}{index:03d}{'甲乙'[side]}"


def hostile(field_name: str, index: int) -> str:
    """The payload between its two markers; only the markers when the field is too short
    for it (the admin form refuses more than max_length, so the payload cannot get in)."""
    value = f"{mark(field_name, index)} {PAYLOADS[index].text} {mark(field_name, index, 1)}"
    if not fits(field_name, index):
        return f"{mark(field_name, index)} {mark(field_name, index, 1)}"
    return value


def fits(field_name: str, index: int) -> bool:
    """Whether the admin form would accept this payload in this field: within max_length
    and without NUL (Django's form fields refuse it; PostgreSQL cannot store it)."""
    limit = FIELDS[field_name][1]
    value = f"{mark(field_name, index)} {PAYLOADS[index].text} {mark(field_name, index, 1)}"
    return "\x00" not in value and (limit is None or len(value.strip()) <= limit)


def body_of(index: int) -> str:
    """The payload as a block between paragraphs, then inline in a sentence."""
    payload = PAYLOADS[index].text
    return (
        f"{mark('note body', index)}\n\n{payload}\n\n{mark('note body', index, 1)}\n\n"
        f"{mark('note body, inline', index)} {payload} {mark('note body, inline', index, 1)}\n"
    )


def excerpt_body_of(index: int) -> str:
    """A sentence, then the payload: an excerpt keeps whole sentences before display math."""
    payload = PAYLOADS[index].text
    before, after = mark("note body, excerpt", index), mark("note body, excerpt", index, 1)
    return f"{before}。\n\n{payload}\n\n{after}"


# (payload index, field, place) of every check made, for the figure tests/test_hostile.py reports.
CHECKS: set[tuple[int, str, str]] = set()
REFUSALS: set[tuple[int, str]] = set()


class HostileSite(TestCase):
    """One note per payload with every field hostile, a second one without a summary (its
    excerpt comes from the body), each in its own category, tag and series.

    The payloads are split into batches, a site each: every page lists every category in
    its header, so one site of all payloads would make each page as long as the corpus and
    the module quadratic in it."""

    __test__ = False
    batch: range = range(0)

    @classmethod
    def setUpTestData(cls) -> None:
        """Rows are bulk-created (no per-row signal re-indexes a note) and each note is then
        saved once, through Note.save(), so it is rendered and indexed as in production."""
        cls.admin = get_user_model().objects.create_superuser("editor", "editor@example.com")
        now = timezone.now()
        batch = list(cls.batch)

        def named(model, **fields):
            text = fields.get("name") or fields.get("title")
            fallback = model.__name__.lower()
            return model(slug=unique_slug(model, text, fallback=fallback), **fields)

        categories = Category.objects.bulk_create(
            named(
                Category,
                name=hostile("category name", i),
                description=hostile("category description", i),
            )
            for i in batch
        )
        series = Series.objects.bulk_create(
            named(
                Series,
                title=hostile("series title", i),
                description=hostile("series description", i),
            )
            for i in batch
        )
        tags = Tag.objects.bulk_create(
            Tag(name=hostile("tag name", i), slug=Tag().slugify(hostile("tag name", i)))
            for i in batch
        )
        TagAlias.objects.bulk_create(
            TagAlias(tag=tag, name=hostile("tag alias", i))
            for i, tag in zip(batch, tags, strict=True)
        )
        notes = Note.objects.bulk_create(
            named(
                Note,
                title=hostile("note title", i),
                short_title=hostile("note short title", i),
                summary=hostile("note summary", i),
                body=normalize_source(body_of(i)),  # as Note.save() stores it
                category=category,
                series=part_of,
                series_position=1,
                status=Note.Status.PUBLISHED,
                published_at=now - timedelta(hours=2 * i + 1),
                author=cls.admin,
            )
            for i, category, part_of in zip(batch, categories, series, strict=True)
        )
        seconds = Note.objects.bulk_create(
            named(
                Note,
                title=f"{MARKER}{i:03d}-2",
                body=normalize_source(excerpt_body_of(i)),
                category=category,
                series=part_of,
                series_position=2,
                status=Note.Status.PUBLISHED,
                published_at=now - timedelta(hours=2 * i + 2),
            )
            for i, category, part_of in zip(batch, categories, series, strict=True)
        )
        papers = Paper.objects.bulk_create(
            Paper(
                key=f"hostile{i}",
                title=hostile("paper title", i),
                authors=hostile("paper authors", i),
                venue=hostile("paper venue", i),
                year=2024,
                doi=f"10.1234/{hostile('paper DOI', i)}",
                # Stored past the form (which refuses it), as a data migration or the shell
                # could: the page must still never link it.
                url="javascript:alert(1)",
                code_url=f"https://example.org/{normalize_source(PAYLOADS[i].text)}"[:500],
            )
            for i in batch
        )
        NotePaper.objects.bulk_create(
            NotePaper(note=note, paper=paper) for note, paper in zip(notes, papers, strict=True)
        )
        # Only the image's address and size matter here: no file is written.
        figures = Figure.objects.bulk_create(
            Figure(
                note=note,
                image=f"figures/{note.pk}/hostile.png",
                width=4,
                height=3,
                alt=hostile("figure alt text", i),
                caption=hostile("figure caption", i),
            )
            for i, note in zip(batch, notes, strict=True)
        )
        TaggedItem.objects.bulk_create(
            TaggedItem(content_object=note, tag=tag)
            for note_list in (notes, seconds)
            for note, tag in zip(note_list, tags, strict=True)
        )
        NoteUpdate.objects.bulk_create(
            NoteUpdate(note=note, summary=hostile("update summary", i), made_at=now)
            for i, note in zip(batch, notes, strict=True)
        )
        cls._fetched: dict[str, bytes] = {}
        cls.notes: dict[int, Note] = {}
        cls.excerpt_notes: dict[int, Note] = {}
        for i, note, second, figure in zip(batch, notes, seconds, figures, strict=True):
            # The editor pastes the figure's snippet, as the admin offers it.
            note.body = f"{note.body}\n{figure.markdown}\n"
            note.save()
            second.save()
            cls.notes[i], cls.excerpt_notes[i] = note, second
        settle()

    def setUp(self) -> None:
        self.fetched = type(self)._fetched
        self.by_slug = {note.slug: (i, note) for i, note in self.notes.items()}
        self.by_slug.update({note.slug: (i, note) for i, note in self.excerpt_notes.items()})

    # --- helpers --------------------------------------------------------------------------

    def fetch(self, url: str, **kwargs) -> bytes:
        """The page at ``url``; a reader's page is fetched once per class, whichever test
        asks first (the data does not change between tests)."""
        cached = self.fetched.get(url) if not kwargs and not url.startswith("/admin/") else None
        if cached is not None:
            return cached
        response = self.client.get(url, **kwargs)
        self.assertEqual(response.status_code, 200, url)
        if not kwargs and not url.startswith(("/admin/", "/preview/")):
            self.fetched[url] = response.content
        return response.content

    def page(self, url: str, **kwargs) -> Scan:
        return self.clean(scan_html(self.fetch(url).decode(), url, **kwargs))

    def feed(self, url: str) -> Scan:
        return self.clean(scan_feed(self.fetch(url), url))

    def clean(self, scan: Scan) -> Scan:
        self.assertEqual(scan.problems, [], f"executable markup in {scan.where}")
        return scan

    def expect(
        self, scan: Scan, place: str, field_name: str, indices: Iterable[int], sides=(0, 1)
    ) -> None:
        """The markers around each payload of this field show in this place."""
        missing = [
            mark(field_name, index, side)
            for index in indices
            for side in sides
            if mark(field_name, index, side) not in scan.text
        ]
        self.assertEqual(missing, [], f"{field_name} lost its text in {scan.where}")
        for index in indices:
            if field_name not in FIELDS or fits(field_name, index):
                CHECKS.add((index, field_name, place))

    def cards(self, scan: Scan, place: str) -> None:
        """What a list item shows of each note on a list page: title, category, tags, the
        first paper's venue and title, and the excerpt (the summary, or the body's start)."""
        shown = self.listed(scan)
        self.assertTrue(shown, f"no notes listed on {scan.where}")
        first = [i for i, note in shown if note.summary]
        second = [i for i, note in shown if not note.summary]
        indices = sorted({i for i, _ in shown})
        self.expect(scan, place, "note title", first)
        self.expect(scan, place, "category name", indices)
        self.expect(scan, place, "tag name", indices)
        self.expect(scan, place, "paper venue", first)
        self.expect(scan, place, "paper title", first)
        self.expect(scan, place, "note summary", first, sides=(0,))
        self.expect(scan, place, "note body, excerpt", second, sides=(0,))

    def listed(self, scan: Scan) -> list[tuple[int, Note]]:
        slugs = re.findall(r"/notes/([^/\s\"']+)/", scan.text)
        found = {}
        for slug in slugs:
            entry = self.by_slug.get(unquote(slug))
            if entry:
                found[entry[1].pk] = entry
        return list(found.values())

    def pages_of(self, url: str, *, parameter: str = "page", **kwargs) -> list[Scan]:
        """Every page of a paginated list."""
        scans, number = [], 1
        while True:
            sep = "&" if "?" in url else "?"
            address = url if number == 1 else f"{url}{sep}{parameter}={number}"
            scans.append(self.page(address, **kwargs))
            if f"{parameter}={number + 1}" not in scans[-1].text:
                return scans
            number += 1

    @property
    def indices(self) -> range:
        return self.batch
