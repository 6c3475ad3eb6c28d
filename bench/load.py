"""Load test: a minute of readers on the production setup while an editor works.

    .venv/bin/python bench/load.py [--notes 5000] [--seconds 60] [--connections 64]
                                   [--workers 4] [--json load-results.json]

`make test-load` (about two minutes with the setup; not part of `make test`). A throwaway
PostgreSQL database filled with notes (bench/data.py's fill()), a private redis-server (the
page cache and the site state, as deployed), gunicorn with production settings (sync
workers, two per core) on loopback. Every page of the mix is fetched once (all must answer
200), the notes' sitemap is timed alone, ``--warmup`` seconds of the same load let workers
reach the size they keep, and then for ``--seconds``:

- wrk with ``--connections`` connections asking for a realistic mix of pages
  (bench/load.lua): home and list pages, notes, categories, tags, the archive, series,
  RSS/Atom feeds, searches in Chinese and English, the sitemaps, in both languages;
- an editor signed in to the admin saving through its note form over HTTP every few
  seconds, by turns a new note and an edit of an existing one, while readers (threads of
  their own) reload the note's page (and the home page, for a new note) and record when each
  save is seen;
- a note scheduled (through the same form) to go live in the middle of the run, polled
  around its time;
- the resident memory of every gunicorn worker, read from /proc each second.

It fails (exit status 1) unless: no socket error and every answer 200; every request made
after an editor's save returned shows the save (the promise is "at once"); the scheduled
note is hidden before its time, and shown to every request made after it, the first within a
second; no worker grows by 10 % or more between second 10 and the end, and none is
restarted. The report is printed and written to ``--json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.checking import (  # noqa: E402
    Checker,
    Event,
    Memory,
    judge,
    memory_report,
    scheduled_report,
    staleness,
)
from bench.editor import EDITOR, PASSWORD, Editor, local_fields, request  # noqa: E402
from bench.run import PG_SERVER, free_port  # noqa: E402

RESULT = "LOAD-RESULT "
SEARCHES = ["低秩", "模型", "注意力", "扩散", "适配", "矩阵", "lora", "attention", "transformer",
            "low rank", "fine-tuning", "benchmark"]  # fmt: skip
# How often each kind of page is asked for (out of about 100): readers mostly open notes and
# the home page; feed readers poll the feeds; search is uncached by nature. The notes' sitemap
# is not in the mix: every note in both languages (3.8 MB, over a second to draw at 5,000
# notes, again after every save), which crawlers fetch now and then, not every few seconds;
# it is timed on its own instead.
WEIGHTS = {"home": 12, "list": 6, "note": 30, "category": 8, "tag": 8, "archive": 5,
           "series": 3, "feed": 10, "search": 10, "sitemap": 2, "other": 2, "paper": 4}  # fmt: skip


# --- The database (in a child process with its own Django) ---------------------------------


def prepare(args: argparse.Namespace) -> None:
    """Migrate, fill, add the editor; write the pages to ask for and the notes to edit."""
    from bench.run import configure, fill

    configure()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.urls import reverse
    from django.utils import timezone
    from taggit.models import Tag

    from notes.models import Category, Note, Paper, Series

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    began = time.perf_counter()
    fill(args.notes)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    filled = time.perf_counter() - began
    get_user_model().objects.create_superuser(EDITOR, "editor@example.org", PASSWORD)

    rng = random.Random(11)
    published = Note.objects.published().order_by("-published_at")
    total = published.count()
    newest = list(published.values_list("pk", "slug")[:20])
    notes = [reverse("notes:detail", kwargs={"slug": slug})
             for slug in published.values_list("slug", flat=True)[:2000]]  # fmt: skip
    categories = [c.get_absolute_url() for c in Category.objects.all()]
    tags = [reverse("notes:tag", kwargs={"slug": tag.slug}) for tag in Tag.objects.all()]
    series = [s.get_absolute_url() for s in Series.objects.all()]
    now = timezone.localtime()
    kinds: dict[str, list[str]] = {
        "home": ["/", "/en/"],
        "list": [f"/?page={page}" for page in range(2, min(50, (total + 19) // 20) + 1)],
        "note": rng.sample(notes, min(300, len(notes))),
        "category": ["/category/", *categories, *(f"{url}?page=2" for url in categories)],
        "tag": ["/tag/", *tags],
        "archive": ["/archive/", f"/archive/{now.year}/", f"/archive/{now.year}/{now.month:02d}/"],
        "series": ["/series/", *series],
        "feed": ["/feed/", "/feed/atom/", "/en/feed/",
                 *(f"{url}feed/" for url in categories), *(f"{url}feed/atom/" for url in tags[:8])],
        "search": [f"/search/?q={urllib.parse.quote(q)}" for q in SEARCHES]
        + [f"/en/search/?q={urllib.parse.quote(q)}" for q in SEARCHES[:4]],
        "sitemap": ["/sitemap.xml", "/sitemap-tags.xml", "/sitemap-categories.xml"],
        "other": ["/robots.txt", "/opensearch.xml"],
        "paper": ["/papers/", "/papers/?page=2", *(
            paper.get_absolute_url()
            for paper in Paper.objects.discussed().order_by("pk").only("arxiv", "key")[:200]
        )],
    }  # fmt: skip
    # English pages of a sample of notes as well.
    kinds["note"] += ["/en" + url for url in rng.sample(notes, min(60, len(notes)))]
    Path(args.out).write_text(
        json.dumps(
            {
                "fill_seconds": round(filled, 1),
                "notes": total,
                "kinds": kinds,
                "edit_targets": [pk for pk, _slug in newest[1:11]],
                "timed_alone": ["/sitemap-notes.xml"],
                "category_id": Category.objects.order_by("pk").values_list("pk", flat=True)[0],
            },
            ensure_ascii=False,
        )
    )


def weighted_paths(kinds: dict[str, list[str]], total: int = 2000) -> list[str]:
    """Every path, each kind repeated to its weight; non-ASCII percent-encoded for wrk."""
    lines: list[str] = []
    for kind, paths in kinds.items():
        share = max(len(paths), total * WEIGHTS[kind] // 100)
        lines += [paths[index % len(paths)] for index in range(share)]
    return [urllib.parse.quote(path, safe="/?=&%") for path in lines]


# --- The editor at work while readers watch ---------------------------------------------


def edit_loop(editor: Editor, checker: Checker, events: list[Event], plan: dict,
              stop_at: float, every: float, failures: list[str]) -> None:  # fmt: skip
    try:
        _edit_loop(editor, checker, events, plan, stop_at, every)
    except Exception as error:  # reported, not lost with the thread
        failures.append(f"the editor failed: {error!r}")


def _edit_loop(editor: Editor, checker: Checker, events: list[Event], plan: dict,
               stop_at: float, every: float) -> None:  # fmt: skip
    number = 0
    targets = plan["edit_targets"]
    while time.monotonic() + every < stop_at:
        time.sleep(every)
        number += 1
        marker = f"LT{number:03d}{uuid.uuid4().hex[:6]}"
        if number % 2:
            slug = f"load-new-{marker.lower()}"
            event = Event("new", marker, [f"/notes/{slug}/", "/"])
            path = "/admin/notes/note/add/"
            changes = {
                "title": f"负载下的新笔记 {marker}",
                "slug": slug,
                "category": str(plan["category_id"]),
                "body": f"新笔记 {marker}：$E = mc^2$，以及 $$\\sum_{{i=1}}^n x_i$$",
                "status": "published",
                # Published now: the publish date left blank.
                "published_at_0": "",
                "published_at_1": "",
            }
        else:
            pk = targets[(number // 2) % len(targets)]
            path = f"/admin/notes/note/{pk}/change/"
            event = Event("edit", marker, [])
            changes = {"title": f"基准笔记 已修订 {marker}"}
        form = editor.form(path, "note_form")
        if event.kind == "edit":
            event.urls = [f"/notes/{dict(form)['slug']}/"]
        checker.watch(event, time.monotonic() + 4)
        event.sent = time.monotonic()
        editor.save(path, changes, form)
        event.committed = time.monotonic()
        events.append(event)


# --- The run -----------------------------------------------------------------------------


def start_redis(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--maxmemory", "256mb", "--maxmemory-policy", "allkeys-lru",
         "--loglevel", "warning"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    import redis

    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            return process
        except redis.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=5000)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--edit-every", type=float, default=4.0, help="seconds between saves")
    parser.add_argument(
        "--warmup", type=int, default=10, help="seconds of the same load before the measured run"
    )
    parser.add_argument("--json", help="write the report here")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(args)
        return
    for tool in ("wrk", "redis-server"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing (`make bench-deps` installs wrk; Redis: redis-server).")
    report = run(args)
    print(RESULT + json.dumps(report, indent=2, ensure_ascii=False), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, ensure_ascii=False))
    failures = judge(report)
    for failure in failures:
        print(f"FAILED: {failure}", flush=True)
    sys.exit(1 if failures else 0)


def run(args: argparse.Namespace) -> dict:
    import psycopg

    database = f"load_{uuid.uuid4().hex[:10]}"
    folder = Path(tempfile.mkdtemp(prefix="load-"))
    redis_port, port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    zone = "Asia/Shanghai"
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_"))}  # fmt: skip
    env.update(
        DJANGO_SETTINGS_MODULE="site_config.settings",
        DATABASE_URL=f"{PG_SERVER}/{database}",
        REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
        DJANGO_PAGE_CACHE="1",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="load-test-only-secret-key-0123456789-abcdefghijklmnopqr",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SITE_URL="http://127.0.0.1",
        DJANGO_STATIC_ROOT=str(folder / "static"),
        DJANGO_TIME_ZONE=zone,
        DJANGO_LOG_LEVEL="WARNING",
    )
    began = time.monotonic()
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    redis_process = server = None
    try:
        redis_process = start_redis(redis_port)
        print(f"Filling {database} with {args.notes} notes…", flush=True)
        plan_file = folder / "plan.json"
        subprocess.run(
            [sys.executable, __file__, "--prepare", "--notes", str(args.notes),
             "--out", str(plan_file)],
            env=env, check=True,
        )  # fmt: skip
        plan = json.loads(plan_file.read_text())
        paths_file = folder / "paths.txt"
        paths = weighted_paths(plan["kinds"])
        paths_file.write_text("\n".join(paths) + "\n")

        log = folder / "gunicorn.log"
        with open(log, "wb") as output:
            server = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "site_config.wsgi", "--workers",
                 str(args.workers), "--worker-class", "sync", "--bind", f"127.0.0.1:{port}",
                 "--backlog", "2048", "--chdir", str(ROOT)],
                cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
            )  # fmt: skip
        for _ in range(300):
            try:
                request(base, "GET", "/robots.txt")
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                time.sleep(0.1)
        setup_seconds = time.monotonic() - began

        # Every page of the mix answers 200 (and is in the page cache), and every worker has
        # started its math engine, as on a site that has been up a while.
        memory = Memory(server.pid)
        start_rss = memory.workers()
        distinct = list(dict.fromkeys(paths))
        with ThreadPoolExecutor(args.workers) as pool:
            for path, answer in zip(
                distinct, pool.map(lambda path: request(base, "GET", path), distinct), strict=True
            ):
                assert answer.status == 200, f"{path}: {answer.status} (the mix must be all 200)"
        editor = Editor(base)
        editor.sign_in()
        preview_fields = [(k, v) for k, v in editor.form("/admin/notes/note/add/", "note_form")
                          if k == "csrfmiddlewaretoken"]  # fmt: skip
        previews = [threading.Thread(target=editor._send, args=(
            "POST", "/admin/notes/note/preview/", [*preview_fields, ("body", "$x^2$")]))
            for _ in range(4 * args.workers)]  # fmt: skip
        for thread in previews:
            thread.start()
        for thread in previews:
            thread.join()

        # Pages left out of the mix, drawn once each (cold), alone.
        timed_alone = {}
        for path in plan["timed_alone"]:
            answer = request(base, "GET", path)
            assert answer.status == 200, (path, answer.status)
            timed_alone[path] = round((answer.ended - answer.began) * 1000)
        # The same load for a while first: workers reach the size they keep.
        if args.warmup:
            subprocess.run(
                ["wrk", "-t2", f"-c{args.connections}", f"-d{args.warmup}s",
                 "-s", str(ROOT / "bench" / "load.lua"), base],
                env={**os.environ, "LOAD_PATHS": str(paths_file)},
                capture_output=True, check=True,
            )  # fmt: skip

        # The scheduled note, through the same form: live in the middle of the run.
        live_at = float(int(time.time() + args.seconds / 2 + 5))
        scheduled = Event("scheduled", f"LTS{uuid.uuid4().hex[:6]}", [])
        slug = f"load-scheduled-{scheduled.marker.lower()}"
        scheduled.urls = [f"/notes/{slug}/", "/"]
        editor.save(
            "/admin/notes/note/add/",
            {"title": f"定时发布的笔记 {scheduled.marker}", "slug": slug,
             "category": str(plan["category_id"]), "body": "定时发布。$a^2+b^2=c^2$",
             "status": "published", **local_fields(live_at, zone)},
        )  # fmt: skip
        live_at_monotonic = time.monotonic() + (live_at - time.time())

        checker = Checker(base)
        memory.start()
        events: list[Event] = []
        wrk_began = time.monotonic()
        stop_at = wrk_began + args.seconds
        threading.Timer(
            max(0.0, live_at_monotonic - 4 - time.monotonic()),
            lambda: checker.watch(scheduled, live_at_monotonic + 3, per_page=3),
        ).start()
        editor_failures: list[str] = []
        editing = threading.Thread(
            target=edit_loop,
            args=(editor, checker, events, plan, stop_at, args.edit_every, editor_failures),
            daemon=True,
        )
        editing.start()
        print(f"wrk: {args.seconds} s, {args.connections} connections, {len(set(paths))} "
              f"pages, {args.workers} workers…", flush=True)  # fmt: skip
        wrk = subprocess.run(
            ["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--latency",
             "-s", str(ROOT / "bench" / "load.lua"), base],
            env={**os.environ, "LOAD_PATHS": str(paths_file)},
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        editing.join(timeout=30)
        time.sleep(0.5)
        memory.stopping.set()
        checker.join()
        memory.join(timeout=5)
        print(wrk.stdout, flush=True)
        line = next(line for line in wrk.stdout.splitlines() if line.startswith(RESULT))
        load = json.loads(line.removeprefix(RESULT))
        gunicorn_log = log.read_text(errors="replace")
        return {
            "date": time.strftime("%Y-%m-%d %H:%M"),
            "setup_seconds": round(setup_seconds, 1),
            "fill_seconds": plan["fill_seconds"],
            "notes": plan["notes"],
            "workers": args.workers,
            "connections": args.connections,
            "seconds": args.seconds,
            "distinct_pages": len(set(paths)),
            "warmup_seconds": args.warmup,
            "timed_alone_ms": timed_alone,
            "mix": {kind: WEIGHTS[kind] for kind in plan["kinds"]},
            "requests": load["requests"],
            "requests_per_second": round(load["requests"] / (load["duration_us"] / 1e6), 1),
            "latency_ms": {
                "p50": round(load["p50_us"] / 1000, 1),
                "p90": round(load["p90_us"] / 1000, 1),
                "p99": round(load["p99_us"] / 1000, 1),
                "p99.9": round(load["p999_us"] / 1000, 1),
                "max": round(load["max_us"] / 1000, 1),
                "mean": round(load["mean_us"] / 1000, 1),
            },
            "socket_errors": {
                "connect": load["connect_errors"],
                "read": load["read_errors"],
                "write": load["write_errors"],
                "timeout": load["timeouts"],
            },
            "non_200": load["non200"],
            "non_200_statuses": sorted(set(load["non200_statuses"].split())),
            "staleness": staleness(events),
            "scheduled": scheduled_report(scheduled, live_at_monotonic),
            "memory": memory_report(start_rss, memory.samples, wrk_began),
            "editor_failures": editor_failures,
            "log_errors": len(re.findall(r"Traceback|\[ERROR\]|WORKER TIMEOUT", gunicorn_log)),
            "log_tail": gunicorn_log[-3000:] if "Traceback" in gunicorn_log else "",
        }
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if redis_process is not None:
            redis_process.terminate()
            redis_process.wait()
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
