"""Load benchmark: the site under gunicorn and production settings, driven by wrk.

    .venv/bin/python bench/run.py --quick [--json FILE]      # 10,000 notes, < 5 minutes
    .venv/bin/python bench/run.py [--scales 1000,10000,100000] [--databases sqlite,postgres]
    .venv/bin/python bench/run.py --import-notes 10000 [--databases postgres]  # import speed

For each database and scale: a throwaway database (a temporary SQLite file; on PostgreSQL a
database created and dropped here) filled in bulk with realistic notes, then gunicorn (2 sync
workers, production settings, static files from WhiteNoise) on loopback, and for each page
`wrk` (Debian's package: `make bench-deps`) for a few seconds: requests per second, p50 and p99
latency, bytes on the wire (gzip, as browsers ask), and a second run answering `If-None-Match`
(304). Queries per request are counted in-process with the cache off. `/_hello/` is a bare
Django view returning a body of the home page's size in the same server: every page is also a
ratio to it. Kept out of `make test`: speed goals live here.

`/_hello/` runs under the project's middleware, so a ratio to it leaves out what that stack
costs. `bare` is the same bytes (gzipped once at start) from a bare Django app in its own
gunicorn beside the site's (bench/bare.py: 2 sync workers, no middleware, no apps, DEBUG off),
measured the same way in each run; `*/bare` ratios count the whole stack. The goal for cached
pages: ≥ 0.5× bare. The warm run also measures `stock`: the bare view behind Django's own page
cache middleware on the same Redis (bench/stock.py), what Django's tools alone reach.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Re-exported: the other scripts import these from bench.run, and rewarm.py swaps
# bench.run.fill, which load.py's prepare looks up here when it runs.
from bench.data import PG_SERVER, configure, count_queries, fill, page_paths  # noqa: E402
from bench.importing import measure_import, throwaway_database  # noqa: E402

PAGES = ["home", "deep", "detail", "category", "tag", "archive", "series", "feed",
         "search_zh", "search_en", "sitemap"]  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str, headers: dict[str, str]) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:  # 304 arrives as an "error"
        return error.code, dict(error.headers), error.read()


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, seconds: int, connections: int, headers: dict[str, str]) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    for name, value in headers.items():
        command[1:1] = ["-H", f"{name}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", output, re.M))

    def ms(value: str) -> float:
        number, unit = re.fullmatch(r"([\d.]+)(\w+)", value).groups()
        return float(number) * _UNITS[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": ms(latency["50"]),
        "p99_ms": ms(latency["99"]),
        "errors": int(errors.group(1)) if errors else 0,
    }


REDIS_BENCH = "redis://127.0.0.1:6379/14"


def gunicorn(app: str, port: int, env: dict[str, str]) -> subprocess.Popen:
    from gunicorn.config import KNOWN_SETTINGS

    # A gunicorn that has a control socket puts it at one path per user: two servers at once
    # would fight over it, and the benchmark never uses it.
    known = {setting.name for setting in KNOWN_SETTINGS}
    no_control = ["--no-control-socket"] if "control_socket_disable" in known else []
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", app, "--workers", "2", "--bind",
         f"127.0.0.1:{port}", "--log-level", "warning", "--chdir", str(ROOT), *no_control],
        env=env,
    )  # fmt: skip


def wait_until_up(url: str) -> None:
    for _ in range(100):
        try:
            fetch(url, {})
            return
        except OSError:
            time.sleep(0.2)


def serve_and_load(
    paths: dict[str, str], seconds: int, connections: int, *, warm: bool = False
) -> dict[str, dict]:
    """gunicorn with 2 sync workers and production settings; wrk on every page. Cold: no page
    cache, the site state read from the database. Warm: Redis holds the state and the pages
    (emptied first), each page fetched once before it is measured. Beside it, the bare app
    (bench/bare.py) in its own gunicorn, measured as ``bare``."""
    port, bare_port = free_port(), free_port()
    base, bare_base = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{bare_port}"
    # /_hello/ answers with the home page's own bytes: the same size, the same compression.
    hello_file = Path(tempfile.mkdtemp(prefix="bench-hello-")) / "home.html"
    hello_file.write_bytes(fetch_local_home())
    env = {**os.environ, "BENCH_HELLO_FILE": str(hello_file), "DJANGO_ALLOWED_HOSTS": "127.0.0.1"}
    if warm:
        import redis

        redis.Redis.from_url(REDIS_BENCH).flushdb()
        env.update(REDIS_URL=REDIS_BENCH, DJANGO_PAGE_CACHE="1")
    else:
        env.pop("REDIS_URL", None)
        env["DJANGO_PAGE_CACHE"] = "0"
    server = gunicorn("bench.wsgi", port, env)
    bare = gunicorn("bench.bare", bare_port, env)  # it names its own settings
    servers = [server, bare]
    urls = {"hello": base + "/_hello/", "bare": bare_base + "/_hello/"}
    if warm:
        # Django's own page cache around the bare view, on the same Redis (bench/stock.py).
        stock_port = free_port()
        servers.append(gunicorn("bench.stock", stock_port, env))
        urls["stock"] = f"http://127.0.0.1:{stock_port}/_hello/"
    try:
        for url in list(urls.values()):
            wait_until_up(url)
        gzip = {"Accept-Encoding": "gzip"}
        results = {}
        for name, path in paths.items():
            urls[name] = base + urllib.parse.quote(path, safe="/?=&")
        for name, url in urls.items():
            baseline = name in ("hello", "bare", "stock")
            status, headers, body = fetch(url, gzip)
            assert status == 200, (name, status)
            cold = wrk(url, seconds, connections, gzip)
            cold["bytes"] = len(body)
            label = name if not warm or baseline else f"{name}_cached"
            results[label] = cold
            if "ETag" in headers:
                again = wrk(url, seconds, connections, {**gzip, "If-None-Match": headers["ETag"]})
                again["bytes"] = len(fetch(url, {**gzip, "If-None-Match": headers["ETag"]})[2])
                results[f"{label}_304"] = again
            print(f"  {label:16} {cold['rps']:8.0f} req/s  p50 {cold['p50_ms']:7.1f} ms  "
                  f"p99 {cold['p99_ms']:7.1f} ms  {cold['bytes']:>7} B", flush=True)  # fmt: skip
        results["_worker_rss_mb"] = worker_rss_mb(server.pid)
        return results
    finally:
        for process in servers:
            process.terminate()
            process.wait()


def worker_rss_mb(master: int) -> float:
    """The largest resident size of gunicorn's workers (children of its master), in MB."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    sizes = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return round(max(sizes), 1) if sizes else 0.0


def fetch_local_home() -> bytes:
    from django.test import Client

    return Client(HTTP_HOST="127.0.0.1").get("/", HTTP_ACCEPT_ENCODING="identity").content


def run_one(args: argparse.Namespace) -> None:
    """In a child process: one database, one scale."""
    os.environ["DATABASE_URL"] = args.database_url
    configure()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    began = time.perf_counter()
    fill(args.notes)
    # Statistics for the planners, as import_notes leaves them on either database.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    filled = time.perf_counter() - began
    paths = page_paths(args.notes)
    if args.pages:
        paths = {name: path for name, path in paths.items() if name in args.pages.split(",")}
    queries = count_queries(paths)
    connection.close()
    results = serve_and_load(paths, args.seconds, args.connections)
    warm = None
    if redis_reachable():
        print("  with the page cache (Redis):", flush=True)
        warm = serve_and_load(paths, args.seconds, args.connections, warm=True)
    memory = {"cold": results.pop("_worker_rss_mb")}
    if warm:
        memory["warm"] = warm.pop("_worker_rss_mb")
    Path(args.out).write_text(
        json.dumps(
            {"fill_seconds": filled, "queries": queries, "pages": results, "warm": warm,
             "paths": paths, "worker_rss_mb": memory}
        )
    )  # fmt: skip


def redis_reachable() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_BENCH, socket_connect_timeout=1).ping())
    except Exception:
        return False


def postgres_reachable() -> bool:
    try:
        import psycopg

        psycopg.connect(PG_SERVER + "/postgres", connect_timeout=2).close()
        return True
    except Exception:
        return False


def run_case(database: str, notes: int, seconds: int, connections: int, pages: str = "") -> dict:
    folder = Path(tempfile.mkdtemp(prefix="bench-"))
    out = folder / "result.json"
    print(f"{database}, {notes} notes:", flush=True)
    try:
        with throwaway_database(database, f"bench_load_{notes}", folder) as url:
            subprocess.run(
                [sys.executable, __file__, "--one", "--database-url", url, "--notes",
                 str(notes), "--seconds", str(seconds), "--connections", str(connections),
                 "--out", str(out), "--pages", pages],
                check=True,
            )  # fmt: skip
        return json.loads(out.read_text())
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def ratios(result: dict) -> dict[str, float | None]:
    pages = result["pages"]

    def ratio(name: str, base: str = "hello") -> float | None:
        if name not in pages or base not in pages:
            return None
        return round(pages[name]["rps"] / pages[base]["rps"], 3)

    def warm_ratio(name: str, base: str = "hello") -> float | None:
        warm = result.get("warm") or {}
        if name not in warm:
            return None
        # The warm run's own baseline; the cold run's if this one has none.
        baseline = warm.get(base) or pages.get(base)
        return round(warm[name]["rps"] / baseline["rps"], 3) if baseline else None

    return {
        "home/hello": ratio("home"),
        "detail/hello": ratio("detail"),
        "feed/hello": ratio("feed"),
        # From the warm run: its own hello, in the same server.
        "home_cached/hello": warm_ratio("home_cached"),
        # A 304 with the state in Redis, as served with the cache on; and from the database.
        "home_304/hello": warm_ratio("home_cached_304") or ratio("home_304"),
        "home_304_cold/hello": ratio("home_304"),
        "detail_cached/hello": warm_ratio("detail_cached"),
        "feed_cached/hello": warm_ratio("feed_cached"),
        # Against the bare app in its own process: what the whole stack costs. Goal: >= 0.5.
        "home_cached/bare": warm_ratio("home_cached", "bare"),
        "detail_cached/bare": warm_ratio("detail_cached", "bare"),
        "feed_cached/bare": warm_ratio("feed_cached", "bare"),
        "home_304/bare": warm_ratio("home_cached_304", "bare") or ratio("home_304", "bare"),
        # Against Django's own page cache around the bare view, on the same Redis.
        "home_cached/stock": warm_ratio("home_cached", "stock"),
        "detail_cached/stock": warm_ratio("detail_cached", "stock"),
        "stock/bare": warm_ratio("stock", "bare"),
        # The project's middleware around the same view, against none.
        "hello/bare": warm_ratio("hello", "bare") or ratio("hello", "bare"),
    }


def queries(result: dict) -> dict[str, int]:
    """Each page's queries, and ``search``: the more of the two searches."""
    counted = dict(result["queries"])
    searches = [counted[name] for name in ("search_zh", "search_en") if name in counted]
    if searches:
        counted["search"] = max(searches)
    return counted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 notes, one database")
    parser.add_argument("--scales", default="1000,10000,100000")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per page")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--json", help="write the results here")
    parser.add_argument(
        "--pages", default="", help=f"only these pages, comma-separated ({', '.join(PAGES)})"
    )
    parser.add_argument(
        "--import-notes", type=int, metavar="N",
        help="measure only `manage.py import_notes` of N notes (on --databases' first)",
    )  # fmt: skip
    # A child process's own arguments.
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--notes", type=int, default=10_000, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        run_one(args)
        return
    if args.import_notes:
        configure()
        result = measure_import(args.databases.split(",")[0], args.import_notes)
        if args.json:
            Path(args.json).write_text(json.dumps({"import": result}, indent=2))
        return
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: run `make bench-deps` (Debian's wrk package).")
    if args.quick:
        databases = ["postgres" if postgres_reachable() else "sqlite"]
        scales, seconds = [10_000], min(args.seconds, 3)
    else:
        databases = args.databases.split(",")
        scales, seconds = [int(n) for n in args.scales.split(",")], args.seconds
    runs = {}
    for database in databases:
        for notes in scales:
            runs[f"{database}/{notes}"] = run_case(
                database, notes, seconds, args.connections, args.pages
            )
    report(runs)
    if args.json:
        first = next(iter(runs.values()))
        Path(args.json).write_text(
            json.dumps({"ratios": ratios(first), "queries": queries(first), "runs": runs}, indent=2)
        )


def report(runs: dict[str, dict]) -> None:
    def ratio(page: dict, base: dict | None) -> str:
        return f"{page['rps'] / base['rps']:7.3f}" if base else f"{'':7}"

    for key, result in runs.items():
        hello, bare = result["pages"]["hello"], result["pages"].get("bare")
        memory = result.get("worker_rss_mb", {})
        print(f"\n{key} (fill {result['fill_seconds']:.0f} s, largest worker after the run: "
              f"{memory.get('cold')} MB cold, {memory.get('warm')} MB warm)")  # fmt: skip
        print(f"{'page':14} {'req/s':>8} {'/hello':>7} {'/bare':>7} {'p50 ms':>8} {'p99 ms':>8} "
              f"{'bytes':>8} {'queries':>7}")  # fmt: skip
        for name, page in result["pages"].items():
            base = name.removesuffix("_304")
            queries = result["queries"].get(base, "") if name == base else ""
            timing = f"{page['p50_ms']:8.1f} {page['p99_ms']:8.1f}"
            print(f"{name:14} {page['rps']:8.0f} {ratio(page, hello)} {ratio(page, bare)} "
                  f"{timing} {page['bytes']:8} {queries:>7}")  # fmt: skip
        warm = result.get("warm") or {}
        for name, page in warm.items():
            timing = f"{page['p50_ms']:8.1f} {page['p99_ms']:8.1f}"
            label = f"{name} (warm)" if name in ("hello", "bare", "stock") else name
            print(f"{label:14} {page['rps']:8.0f} {ratio(page, warm['hello'])} "
                  f"{ratio(page, warm.get('bare', bare))} {timing} {page['bytes']:8}")  # fmt: skip
    scales = sorted({int(key.split("/")[1]) for key in runs})
    if len(scales) > 1:
        print("\np50 growth from the smallest to the largest scale:")
        for database in sorted({key.split("/")[0] for key in runs}):
            small, large = runs[f"{database}/{scales[0]}"], runs[f"{database}/{scales[-1]}"]
            growth = {
                name: round(large["pages"][name]["p50_ms"] / small["pages"][name]["p50_ms"], 2)
                for name in PAGES
                if name in small["pages"] and name in large["pages"]
            }
            print(f"  {database}: {growth}")


if __name__ == "__main__":
    main()
