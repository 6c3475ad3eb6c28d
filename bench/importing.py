"""Import speed: `manage.py import_notes` of demo copies into a throwaway database, and its size."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench.data import PG_SERVER, ROOT


def database_bytes(database: str, url: str, name: str) -> int:
    """The database's size on disk: the SQLite file after VACUUM, or pg_database_size after
    VACUUM FULL (both leave out space freed by deletes, which a long-lived database reuses)."""
    if database != "postgres":
        import sqlite3

        path = url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as connection:
            connection.execute("VACUUM")
        return Path(path).stat().st_size
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/{name}", autocommit=True) as connection:
        connection.execute("VACUUM FULL")
        return connection.execute("SELECT pg_database_size(current_database())").fetchone()[0]


@contextlib.contextmanager
def throwaway_database(database: str, name: str, folder: Path) -> Iterator[str]:
    """The URL of an empty database: a PostgreSQL one created here and dropped after, or a
    SQLite file in ``folder`` (removed with it)."""
    if database != "postgres":
        yield f"sqlite:///{folder / f'{name}.sqlite3'}"
        return
    import psycopg

    with psycopg.connect(PG_SERVER + "/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with psycopg.connect(PG_SERVER + "/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def measure_import(database: str, count: int) -> dict:
    """`manage.py import_notes` of ``count`` files made from the demo notes (each a copy under
    its own title and slug, with its math, code, tables and tags) into an empty database."""
    import yaml

    folder = Path(tempfile.mkdtemp(prefix="bench-import-"))
    files = folder / "notes"
    files.mkdir()
    sources = sorted((ROOT / "demo" / "notes").glob("*.md"))
    for i in range(count):
        _, meta, body = sources[i % len(sources)].read_text(encoding="utf-8").split("---", 2)
        data = yaml.safe_load(meta)
        data["title"] = f"{data['title']} · {i}"
        data["slug"] = f"{data.get('slug') or sources[i % len(sources)].stem}-{i}"
        data.pop("series", None)
        data.pop("series_position", None)
        front = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        (files / f"note-{i}.md").write_text(f"---\n{front}---{body}", encoding="utf-8")
    try:
        with throwaway_database(database, f"bench_import_{count}", folder) as url:
            env = {**os.environ, "DATABASE_URL": url}
            manage = [sys.executable, str(ROOT / "manage.py")]
            subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)
            subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], env=env, check=True)
            began = time.perf_counter()
            subprocess.run(
                [*manage, "import_notes", str(files)],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            seconds = time.perf_counter() - began
            size = database_bytes(database, url, f"bench_import_{count}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"database: {size / 1e6:.1f} MB, {size / count / 1e3:.1f} KB per note")
    result = {"database": database, "notes": count, "seconds": round(seconds, 1),
              "bytes_per_note": round(size / count),
              "notes_per_second": round(count / seconds, 1)}  # fmt: skip
    print(f"import_notes: {count} notes into {database} in {seconds:.0f} s "
          f"({count / seconds:.0f} notes/s)")  # fmt: skip
    return result
