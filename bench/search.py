"""Search benchmark: query times, indexing cost and index size with many realistic notes.

    .venv/bin/python bench/search.py --notes 10000 [--requests 20] [--rebuild]

Notes are made of sentences from the demo notes (Chinese and English prose, math, code), about
2,500 characters each, with rare terms planted in a few of them and arXiv ids on 1 % of them.
Uses a throwaway SQLite file unless DATABASE_URL is set (then that database is filled: point it
at an empty, disposable one; one filled by an earlier run is measured again as it is). Not part
of `make test`: speed goals live here.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import ROOT, configure

RARE = {"1 char, rare": "彧", "2 chars, rare": "鲲鹏", "4 chars, rare": "量子退火"}
# Each rare term is planted in the summary of every 997th note, at its own offset.
RARE_OFFSETS = {"彧": 3, "鲲鹏": 5, "量子退火": 7}
QUERIES = {
    **RARE,
    "1 char, common": "的",
    "2 chars, common": "模型",
    "4 chars, common": "扩散模型",
    "English word": "attention",
    "mixed": "LoRA 低秩",
    "phrase": '"scaled dot product"',
    "arXiv id": "2106.00042",
    "prefix": "transf",
}


def sentences() -> list[str]:
    out: list[str] = []
    for path in sorted((ROOT / "demo" / "notes").glob("*.md")):
        body = path.read_text(encoding="utf-8").split("---", 2)[2]
        # Paragraphs and display formulas stay whole; prose splits at sentence ends.
        for block in re.split(r"\n\s*\n", body):
            block = block.strip()
            if not block:
                continue
            if block.startswith(("$$", "```", "|", "#")):
                out.append(block)
            else:
                out.extend(part for part in re.split(r"(?<=[。！？.!?])\s*", block) if part)
    return out


def fill(count: int) -> float:
    """Create ``count`` notes with their search documents; returns seconds spent indexing."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone
    from taggit.models import Tag, TaggedItem

    from notes.models import Category, Note, NotePaper, Paper, SearchDocument
    from notes.rendering import render_markdown
    from notes.rendering.plaintext import make_excerpt, plain_text
    from notes.search.index import document_fields, latex_sources

    rng = random.Random(11)
    pool = sentences()
    categories = [
        Category.objects.get_or_create(name=name)[0]
        for name in ("Large Model", "Generative Model", "3D Model", "Reinforcement Learning")
    ]
    tags = [Tag.objects.get_or_create(name=f"标签{i}", slug=f"标签{i}")[0] for i in range(60)]
    note_type = ContentType.objects.get_for_model(Note)
    # A few hundred distinct bodies, rendered once: the benchmark measures search, not Temml.
    bodies = []
    for _ in range(300):
        chosen = []
        while sum(map(len, chosen)) < 2500:
            chosen.append(rng.choice(pool))
        html = render_markdown("\n\n".join(chosen)).html
        text = plain_text(html, prose_only=False)
        bodies.append((html, make_excerpt(html), text, latex_sources(html)))
    now = timezone.now()
    indexing = 0.0
    for start in range(0, count, 2000):
        batch = []
        for i in range(start, min(count, start + 2000)):
            html, excerpt, text, latex = bodies[i % len(bodies)]
            planted = [term for term in RARE.values() if i % 997 == RARE_OFFSETS[term]]
            title = f"笔记 {i}：{rng.choice(pool)[:30]}"
            note = Note(
                title=title,
                slug=f"n-{i}",
                category=categories[i % 4],
                summary=" ".join(planted),
                body="",
                body_html=html,
                excerpt=excerpt,
                status=Note.Status.DRAFT if i % 50 == 0 else Note.Status.PUBLISHED,
                published_at=now - timezone.timedelta(minutes=i),
            )
            batch.append((note, text, latex))
        created = Note.objects.bulk_create([note for note, _, _ in batch])
        note_tags = {note.pk: rng.sample(tags, 3) for note in created}
        TaggedItem.objects.bulk_create(
            [
                TaggedItem(tag=tag, content_type=note_type, object_id=pk)
                for pk, chosen_tags in note_tags.items()
                for tag in chosen_tags
            ]
        )
        # Papers are records of their own (issue 20), linked to notes through NotePaper.
        arxiv = {note.pk: f"2106.{note.pk:05d}" for note in created if note.pk % 100 == 42}
        papers = Paper.objects.bulk_create(
            Paper(title=f"Paper {pk}", arxiv=number, key=f"paper{pk}")
            for pk, number in arxiv.items()
        )
        NotePaper.objects.bulk_create(
            NotePaper(note_id=pk, paper=paper, position=0)
            for pk, paper in zip(arxiv, papers, strict=True)
        )
        began = time.perf_counter()
        documents = []
        for note, (_, text, latex) in zip(created, batch, strict=True):
            meta = [tag.name for tag in note_tags[note.pk]] + [categories[0].name]
            if note.pk in arxiv:
                meta.append(arxiv[note.pk])
            fields = document_fields(
                title=note.title, meta=meta, summary=note.summary, body_text=text, latex=latex
            )
            documents.append(SearchDocument(note_id=note.pk, text=text, **fields))
        SearchDocument.objects.bulk_create(documents, batch_size=500)
        indexing += time.perf_counter() - began
        print(f"  {min(count, start + 2000)} notes", end="\r", flush=True)
    return indexing


def percentile(timings: list[float], share: float) -> float:
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def measure_queries(requests: int) -> None:
    """Per query: the search itself (matching, counting, ranking one page of 20 and building
    their snippets: what grows with the number of notes) and the whole page through Django."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from notes import search
    from notes.models import Note, SearchDocument
    from notes.search.snippets import snippet

    setup_test_environment()
    client = Client()
    print(
        f"\n{'query':32} {'found':>7} {'queries':>7} {'search median / p95 ms':>23} "
        f"{'page median / p95 ms':>21}"
    )
    for label, text in QUERIES.items():
        query = search.parse(text)
        searches, pages = [], []
        # Each measured in a run of its own, as a server would repeat it.
        for _ in range(requests):
            began = time.perf_counter()
            found = search.search(
                query, Note.objects.published(), order="relevance", offset=0, limit=20
            )
            texts = dict(
                SearchDocument.objects.filter(note__in=found.ids).values_list("note", "text")
            )
            [snippet(texts.get(pk, ""), query) for pk in found.ids]
            searches.append((time.perf_counter() - began) * 1000)
        for _ in range(requests):
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                client.get("/search/", {"q": text})
                pages.append((time.perf_counter() - began) * 1000)
        total = f"{found.total}{'+' if found.more else ''}"
        print(
            f"{label + ' ' + text:32} {total:>7} {len(queries):>7} "
            f"{statistics.median(searches):>14.1f} / {percentile(searches, 0.95):>6.1f} "
            f"{statistics.median(pages):>12.1f} / {percentile(pages, 0.95):>6.1f}"
        )


def measure_saves(samples: int = 50) -> None:
    from notes import derive
    from notes.models import Note

    timings = []
    for note in Note.objects.order_by("?")[:samples]:
        began = time.perf_counter()
        derive.run([note.pk], site=False)  # its search document, with its tags and papers
        timings.append((time.perf_counter() - began) * 1000)
    print(
        f"\nderiving one note on save: median {statistics.median(timings):.1f} ms, "
        f"p95 {percentile(timings, 0.95):.1f} ms"
    )


def index_size() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_total_relation_size('notes_searchdocument')")
            return (
                f"{cursor.fetchone()[0] / 2**20:.0f} MB (notes_searchdocument with its GIN index)"
            )
        cursor.execute("PRAGMA page_size")
        page = cursor.fetchone()[0]
        try:
            cursor.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'notes_search%'")
            size = cursor.fetchone()[0]
            return f"{size / 2**20:.0f} MB (FTS5 tables and notes_searchdocument)"
        except Exception:  # dbstat not compiled in
            cursor.execute("PRAGMA page_count")
            return f"{cursor.fetchone()[0] * page / 2**20:.0f} MB (whole database file)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--rebuild", action="store_true", help="also time rebuild_search_index")
    args = parser.parse_args()
    configure()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    from django.db import connection

    from notes.models import Note

    url = os.environ["DATABASE_URL"]
    database = url.split("@")[-1].split("/")[0] if url.startswith("postgres") else "SQLite"
    if Note.objects.exists():  # a database filled by an earlier run: measure it again
        args.notes = Note.objects.count()
        print(f"reusing {args.notes} notes already in the database ({database})")
    else:
        began = time.perf_counter()
        indexing = fill(args.notes)
        print(
            f"filled {args.notes} notes in {time.perf_counter() - began:.0f} s ({database}); "
            f"building their search documents took {indexing:.1f} s"
        )

    if connection.vendor == "postgresql":
        # Statistics and the visibility map, as autovacuum keeps them.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    print(f"index size: {index_size()}")
    measure_queries(args.requests)
    measure_saves()
    if args.rebuild:
        began = time.perf_counter()
        call_command("rebuild_search_index", verbosity=0)
        print(f"rebuild_search_index: {time.perf_counter() - began:.1f} s for {args.notes} notes")


if __name__ == "__main__":
    main()
