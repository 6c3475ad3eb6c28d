"""The benchmark's data: Django configured for a throwaway database, filled with notes in bulk."""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

# Computed here too (not imported from bench.run): run.py imports this module, and as a
# script it is `__main__`, so importing it back would load it a second time.
ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"


def configure() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_config.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-secret-key-0123456789-abcdefghij")
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
    # Feeds and canonical links name the site by its configured address, never the Host.
    os.environ.setdefault("DJANGO_SITE_URL", "http://127.0.0.1")
    # Queries are counted with the page cache off: what a page costs when it is rendered.
    os.environ.setdefault("DJANGO_PAGE_CACHE", "0")
    os.environ.setdefault("DJANGO_STATIC_ROOT", tempfile.mkdtemp(prefix="bench-static-"))
    if "DATABASE_URL" not in os.environ:
        path = Path(tempfile.mkdtemp(prefix="bench-db-")) / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    import django

    django.setup()


def fill(count: int, *, papers: bool = True) -> None:
    from django.utils import timezone
    from taggit.models import Tag, TaggedItem

    from notes.models import Category, Note, Series
    from notes.rendering import render_markdown
    from notes.rendering.plaintext import make_excerpt

    categories = [
        Category.objects.get_or_create(name=name)[0]
        for name in ("Large Model", "Generative Model", "3D Model", "Reinforcement Learning")
    ]
    tags = [Tag.objects.get_or_create(name=f"标签{i}", slug=f"标签{i}")[0] for i in range(40)]
    # Reading paths of ten parts each, over the newest notes.
    series = [
        Series.objects.get_or_create(title=f"系列 {i}", slug=f"series-{i}")[0] for i in range(20)
    ]
    body = (Path(ROOT) / "demo" / "notes" / "lora.md").read_text(encoding="utf-8")
    body = body.split("---", 2)[2]
    # Rendered once and reused: the benchmark measures pages, not the save-time pipeline.
    html = render_markdown(body).html
    excerpt = make_excerpt(html)
    now = timezone.now()
    rng = random.Random(7)
    notes = [
        Note(
            title=f"基准笔记 Benchmark note {i}",
            slug=f"bench-{i}",
            category=categories[i % len(categories)],
            body=body,
            body_html=html,
            excerpt=excerpt,
            status=Note.Status.DRAFT if i % 50 == 0 else Note.Status.PUBLISHED,
            published_at=now - timezone.timedelta(minutes=i),
            series=series[i // 10] if i < 10 * len(series) else None,
            series_position=i % 10 + 1 if i < 10 * len(series) else None,
        )
        for i in range(count)
    ]
    created = Note.objects.bulk_create(notes, batch_size=1000)
    from django.contrib.contenttypes.models import ContentType

    note_type = ContentType.objects.get_for_model(Note)
    items = []
    for note in created:
        chosen = sorted(rng.sample(tags, 3), key=lambda tag: tag.name)
        note.tag_data = [[tag.name, tag.slug] for tag in chosen]
        items += [TaggedItem(tag=tag, content_type=note_type, object_id=note.pk) for tag in chosen]
    TaggedItem.objects.bulk_create(items, batch_size=2000)
    # A paper for every five notes, each listed by those five (one paper, many notes).
    from notes.derive import paper_fields
    from notes.models import NotePaper, Paper

    def arxiv_id(i: int) -> str:  # 2101.10000, 2101.10001, …: valid and distinct
        return f"{21 + i // 90000:02d}{1 + i // 9000 % 10:02d}.{i % 9000 + 10000:05d}"

    shared = Paper.objects.bulk_create(
        (
            Paper(
                title=f"Benchmark paper {i}",
                authors="Edward J. Hu\nYelong Shen",
                venue=("ICLR", "NeurIPS", "CVPR", "ICML")[i % 4],
                year=2015 + i % 10,
                arxiv=arxiv_id(i),
                key=f"bench{i}",
            )
            for i in range((count + 4) // 5 if papers else 0)
        ),
        batch_size=1000,
    )
    NotePaper.objects.bulk_create(
        (NotePaper(note=note, paper=shared[i // 5]) for i, note in enumerate(created) if shared),
        batch_size=2000,
    )
    for i, note in enumerate(created):
        note.paper_data = [{**paper_fields(shared[i // 5]), "notices": []}] if shared else []
    # What the derive step writes of other objects (notes.derive): tags and papers as cards
    # show them.
    Note.objects.bulk_update(created, ["tag_data", "paper_data"], batch_size=1000)
    index(created)
    # Bulk inserts send no signals: the derive step's site-wide part runs here, as after a
    # save (papers discussed, the site's version and counts).
    from notes import derive

    derive.changed()


def index(notes) -> None:
    """Search documents for bulk-created notes (bulk_create skips save()): the same fields
    notes.derive writes, in batches."""
    from notes.models import SearchDocument
    from notes.rendering.plaintext import plain_text
    from notes.search.index import document_fields, latex_sources

    cache: dict[str, tuple[str, list[str]]] = {}
    rows = []
    for note in notes:
        if note.body_html not in cache:
            cache[note.body_html] = (
                plain_text(note.body_html, prose_only=False),
                latex_sources(note.body_html),
            )
        text, latex = cache[note.body_html]
        fields = document_fields(
            title=note.title, meta=[note.category.name], summary=note.summary, body_text=text,
            latex=latex,
        )  # fmt: skip
        rows.append(SearchDocument(note_id=note.pk, text=text, **fields))
        if len(rows) >= 1000:
            SearchDocument.objects.bulk_create(rows)
            rows = []
    SearchDocument.objects.bulk_create(rows)


def page_paths(count: int) -> dict[str, str]:
    """The pages measured, as paths of the filled database."""
    from notes import related
    from notes.models import Note, Series

    public = Note.objects.published()
    middle = public.order_by("-published_at")[count // 2]
    # Its related-note candidates, as the derive step writes them (for the measured note
    # only: deriving every note would slow the fill).
    tag_ids = list(middle.tags.values_list("pk", flat=True))
    Note.objects.filter(pk=middle.pk).update(
        related_data=related.tag_candidates(middle.pk, tag_ids)
    )
    last_page = (public.count() + 19) // 20
    year = middle.published_at.year
    series = Series.objects.first()
    return {
        "home": "/",
        "deep": f"/?page={last_page}",
        "detail": middle.get_absolute_url(),
        "category": "/category/large-model/",
        "tag": "/tag/标签1/",
        "archive": f"/archive/{year}/",
        "series": series.get_absolute_url() if series else "/series/",
        "feed": "/feed/",
        "search_zh": "/search/?q=低秩",
        "search_en": "/search/?q=lora",
        "sitemap": "/sitemap.xml",
        "papers": "/papers/",
        "paper": middle.papers.get().get_absolute_url(),
    }


def count_queries(paths: dict[str, str]) -> dict[str, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    counts = {}
    for name, path in paths.items():
        client.get(path)  # warm the process (imports, content types), as a server would be
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        counts[name] = len(queries)
    return counts
