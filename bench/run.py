"""Benchmark: page timings and query counts with many notes.

    .venv/bin/python bench/run.py --notes 2000 [--requests 30]

Uses a throwaway SQLite file unless DATABASE_URL is set (then that database is filled: point
it at an empty, disposable one). Kept out of `make test` on purpose: speed goals live here.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def configure() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_config.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-secret-key-0123456789-abcdefghij")
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("DJANGO_STATIC_ROOT", tempfile.mkdtemp(prefix="bench-static-"))
    if "DATABASE_URL" not in os.environ:
        path = Path(tempfile.mkdtemp(prefix="bench-db-")) / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    import django

    django.setup()


def fill(count: int) -> None:
    from django.utils import timezone
    from taggit.models import Tag, TaggedItem

    from notes.models import Category, Note
    from notes.plaintext import make_excerpt
    from notes.rendering import render_markdown

    categories = [
        Category.objects.get_or_create(name=name)[0]
        for name in ("Large Model", "Generative Model", "3D Model", "Reinforcement Learning")
    ]
    tags = [Tag.objects.get_or_create(name=f"标签{i}", slug=f"标签{i}")[0] for i in range(40)]
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
        )
        for i in range(count)
    ]
    created = Note.objects.bulk_create(notes, batch_size=1000)
    from django.contrib.contenttypes.models import ContentType

    note_type = ContentType.objects.get_for_model(Note)
    TaggedItem.objects.bulk_create(
        [
            TaggedItem(tag=tag, content_type=note_type, object_id=note.pk)
            for note in created
            for tag in rng.sample(tags, 3)
        ],
        batch_size=2000,
    )
    index(created)


def index(notes) -> None:
    """Search documents for bulk-created notes (bulk_create skips save()): the same fields
    update_search_document() writes, in batches."""
    from notes.models import SearchDocument
    from notes.plaintext import plain_text
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


def measure(paths: list[str], requests: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()
    client = Client()
    print(f"{'page':45} {'status':>6} {'queries':>7} {'median ms':>10} {'p95 ms':>8}")
    for path in paths:
        timings = []
        for _ in range(requests):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(path)
                timings.append((time.perf_counter() - start) * 1000)
        timings.sort()
        p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
        print(
            f"{path:45} {response.status_code:>6} {len(queries):>7} "
            f"{statistics.median(timings):>10.1f} {p95:>8.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    configure()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    start = time.perf_counter()
    fill(args.notes)
    print(
        f"filled {args.notes} notes in {time.perf_counter() - start:.1f}s "
        f"({os.environ['DATABASE_URL'].split('@')[-1]})"
    )
    from notes.models import Note

    middle = Note.objects.published().order_by("-published_at")[args.notes // 2]
    last_page = (Note.objects.published().count() + 19) // 20
    measure(
        [
            "/",
            "/?page=2",
            f"/?page={last_page}",
            "/category/large-model/",
            "/tag/标签1/",
            middle.get_absolute_url(),
            "/feed/",
            "/feed/atom/",
            "/search/?q=低秩",
        ],
        args.requests,
    )


if __name__ == "__main__":
    main()
