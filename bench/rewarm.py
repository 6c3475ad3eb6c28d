"""What one save costs the readers under the page cache: every page of the load test's mix
rendered once, as after any save (the site version rises and every page is cold once).

    .venv/bin/python bench/rewarm.py [--notes 5000] [--no-papers]

A throwaway PostgreSQL database filled as `make test-load` fills it (bench/data.py's fill()),
then each path of bench/load.py's mix fetched once in this process with the page cache off;
the CPU time per kind of page is printed. docs/benchmarks.md ("The throughput drop,
explained") has the numbers and what they mean.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import PG_SERVER  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=5000)
    parser.add_argument("--no-papers", action="store_true", help="fill without papers")
    args = parser.parse_args()
    import psycopg

    name = f"rewarm_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_SERVER + "/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    os.environ["DATABASE_URL"] = f"{PG_SERVER}/{name}"
    try:
        run(args)
    finally:
        with psycopg.connect(PG_SERVER + "/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def run(args: argparse.Namespace) -> None:
    import bench.run
    from bench import load

    if args.no_papers:
        fill = bench.run.fill
        bench.run.fill = lambda count: fill(count, papers=False)
    plan_file = Path(tempfile.mkdtemp(prefix="rewarm-")) / "plan.json"
    load.prepare(argparse.Namespace(notes=args.notes, out=str(plan_file)))
    plan = json.loads(plan_file.read_text())
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    # A first pass untimed: templates compiled and connections open, as in a worker that has
    # been serving for a while.
    for paths in plan["kinds"].values():
        for path in paths:
            client.get(path)
    seconds: dict[str, float] = collections.defaultdict(float)
    total = 0.0
    for kind, paths in plan["kinds"].items():
        for path in paths:
            began = time.process_time()
            status = client.get(path).status_code
            spent = time.process_time() - began
            # Without papers the papers index has one page: its page 2 is a 404.
            assert status == 200 or (args.no_papers and kind == "paper"), (path, status)
            seconds[kind] += spent
            total += spent
        print(f"{kind:9s} {len(paths):4d} pages {seconds[kind] * 1000:7.0f} ms CPU", flush=True)
    count = sum(len(paths) for paths in plan["kinds"].values())
    print(f"all       {count:4d} pages {total * 1000:7.0f} ms CPU")


if __name__ == "__main__":
    main()
