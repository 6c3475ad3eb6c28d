"""Two app servers, one database, one Redis: neither ever serves a page the other knows is old.

Public pages are cached per site-state version (notes/caching.py, notes/state.py). With more
than one app server, a change saved anywhere must reach every server's readers at once, and a
scheduled note must go live everywhere at its time, not when a cached copy expires (10
minutes). This runs the production setup for real: a throwaway PostgreSQL database, Redis
(database 13, flushed before and after), two gunicorn processes (one sync worker each) with
production settings, and every change made by a separate process saving through the ORM, as
an editor's server would. It proves that:

- an edited title is on both servers' home page and note page on the very next request, and
  the old title on neither;
- both servers agree on versions: an ETag from one gets a 304 from the other, and no longer
  once the note has changed;
- a scheduled note is hidden (absent from the list, 404) on both servers until its time, then
  shown on both within moments of it.

Skipped when PostgreSQL (127.0.0.1:5432) or Redis (127.0.0.1:6379) is not running.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/13"
RESULT = "SCALE-OUT-RESULT "


def _reachable() -> str | None:
    """Why the services this needs are missing, or None."""
    try:
        import psycopg

        psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=2).close()
    except Exception as error:
        return f"PostgreSQL at 127.0.0.1:5432 is unreachable: {error}"
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping()
    except Exception as error:
        return f"Redis at 127.0.0.1:6379 is unreachable: {error}"
    return None


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:  # 304 and 404 arrive as "errors"
        return error.code, dict(error.headers), error.read().decode(errors="replace")


@dataclass
class Cluster:
    env: dict[str, str]
    servers: list[str]
    redis: object

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stderr}"
        return result.stdout

    def orm(self, code: str) -> dict:
        """Run code in a separate Django process on the shared database; it sets ``result``."""
        script = f"import json\nresult = {{}}\n{code}\nprint({RESULT!r} + json.dumps(result))\n"
        output = self.manage("shell", "-c", script)
        line = next(line for line in output.splitlines() if line.startswith(RESULT))
        return json.loads(line.removeprefix(RESULT))

    def get_all(self, path: str, headers: dict[str, str] | None = None) -> list[tuple]:
        return [fetch(base + path, headers) for base in self.servers]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    reason = _reachable()
    if reason:
        pytest.skip(reason)
    import psycopg
    import redis

    database = f"scale_out_{uuid.uuid4().hex[:12]}"
    static_root = tempfile.mkdtemp(prefix="scale-out-static-")
    logs = Path(tempfile.mkdtemp(prefix="scale-out-logs-"))
    cache = redis.Redis.from_url(REDIS_URL)
    cache.flushdb()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="site_config.settings",
        DATABASE_URL=f"{PG_SERVER}/{database}",
        REDIS_URL=REDIS_URL,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="scale-out-test-only-secret-key-0123456789-abcdefghijklmnop",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SITE_URL="http://127.0.0.1",
        DJANGO_STATIC_ROOT=static_root,
        DJANGO_PAGE_CACHE="1",
        DJANGO_LOG_LEVEL="WARNING",
    )
    servers: list[subprocess.Popen] = []
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    try:
        cluster = Cluster(env=env, servers=[], redis=cache)
        cluster.manage("migrate", "--noinput", "-v", "0")
        cluster.manage("collectstatic", "--noinput", "-v", "0")
        for index in range(2):
            port = _free_port()
            log = open(logs / f"gunicorn-{index}.log", "wb")  # noqa: SIM115 (closed below)
            command = [sys.executable, "-m", "gunicorn", "site_config.wsgi", "--workers", "1",
                       "--worker-class", "sync", "--bind", f"127.0.0.1:{port}",
                       "--log-level", "warning", "--chdir", str(ROOT)]  # fmt: skip
            servers.append(
                subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            )
            log.close()
            cluster.servers.append(f"http://127.0.0.1:{port}")
        for index, (base, server) in enumerate(zip(cluster.servers, servers, strict=True)):
            deadline = time.monotonic() + 20
            while True:
                assert server.poll() is None, (logs / f"gunicorn-{index}.log").read_text()
                try:
                    fetch(base + "/robots.txt")  # any answer: the worker is up
                    break
                except OSError:
                    assert time.monotonic() < deadline, f"{base} did not start"
                    time.sleep(0.1)
        yield cluster
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        cache.flushdb()
        cache.close()
        shutil.rmtree(static_root, ignore_errors=True)
        shutil.rmtree(logs, ignore_errors=True)


def test_an_edit_on_one_server_is_served_at_once_by_both(cluster: Cluster) -> None:
    marker = uuid.uuid4().hex[:10]
    old_title, new_title = f"Scaleout original {marker}", f"Scaleout renamed {marker}"
    created = cluster.orm(
        "from django.utils import timezone\n"
        "from notes.models import Category, Note\n"
        f"category = Category.objects.create(name='Scale {marker}')\n"
        f"note = Note.objects.create(title={old_title!r}, category=category, body='Body.',\n"
        "    status=Note.Status.PUBLISHED,\n"
        "    published_at=timezone.now() - timezone.timedelta(hours=1))\n"
        "result['url'] = note.get_absolute_url()\n"
        "result['pk'] = note.pk\n"
    )
    note_url = created["url"]

    # Each server renders the pages and keeps them in the shared cache; asked again, both
    # answer from it.
    for path in ("/", note_url):
        for _ in range(2):
            for status, _headers, body in cluster.get_all(path):
                assert status == 200, path
                assert old_title in body, path
    assert cluster.redis.keys("*notes:page:*"), "the pages were not cached in Redis"

    # Both servers agree on the version: an ETag from one is a 304 on the other.
    (_, first_headers, _), (_, second_headers, _) = cluster.get_all("/")
    old_etag = first_headers["ETag"]
    assert second_headers["ETag"] == old_etag
    for base_from, base_to in (cluster.servers, reversed(cluster.servers)):
        _, headers, _ = fetch(base_from + "/")
        status, _, body = fetch(base_to + "/", {"If-None-Match": headers["ETag"]})
        assert status == 304, (base_from, base_to)
        assert body == ""

    # An editor's process renames the note, as the admin would.
    cluster.orm(
        "from notes.models import Note\n"
        f"note = Note.objects.get(pk={created['pk']})\n"
        f"note.title = {new_title!r}\n"
        "note.save()\n"
    )

    # The very first request after the save, on either server, shows the new title.
    for path in ("/", note_url):
        for base, (status, _headers, body) in zip(
            cluster.servers, cluster.get_all(path), strict=True
        ):
            assert status == 200, (base, path)
            assert new_title in body, f"{base}{path} still serves the page before the edit"
            assert old_title not in body, f"{base}{path} still shows the old title"

    # The old ETag is stale everywhere; the new one is shared again.
    for base, (status, headers, body) in zip(
        cluster.servers, cluster.get_all("/", {"If-None-Match": old_etag}), strict=True
    ):
        assert status == 200, f"{base} answered 304 to the ETag from before the edit"
        assert headers["ETag"] != old_etag
        assert new_title in body
    (_, first_headers, _), (_, second_headers, _) = cluster.get_all("/")
    assert first_headers["ETag"] == second_headers["ETag"] != old_etag
    status, _, _ = fetch(cluster.servers[1] + "/", {"If-None-Match": first_headers["ETag"]})
    assert status == 304


def test_a_scheduled_note_goes_live_on_both_servers_at_its_time(cluster: Cluster) -> None:
    marker = uuid.uuid4().hex[:10]
    title = f"Scaleout scheduled {marker}"
    # Both servers have the home page cached (for the current version) before the note exists.
    for status, _headers, _body in cluster.get_all("/"):
        assert status == 200
    created = cluster.orm(
        "from django.utils import timezone\n"
        "from notes.models import Category, Note\n"
        f"category = Category.objects.create(name='Later {marker}')\n"
        f"note = Note.objects.create(title={title!r}, category=category, body='Soon.',\n"
        "    status=Note.Status.PUBLISHED,\n"
        "    published_at=timezone.now() + timezone.timedelta(seconds=3))\n"
        "result['url'] = note.get_absolute_url()\n"
        "result['at'] = note.published_at.timestamp()\n"
    )
    note_url, live_at = created["url"], created["at"]
    assert time.time() < live_at - 0.5, "setting up took too long to check the hidden state"

    # Before its time: on no list, and no page, on either server (asked twice, so the second
    # answer may come from the cache).
    for _ in range(2):
        for base, (status, _headers, body) in zip(
            cluster.servers, cluster.get_all("/"), strict=True
        ):
            assert status == 200
            assert title not in body, f"{base}/ lists the note before its time"
        for base, (status, _headers, _body) in zip(
            cluster.servers, cluster.get_all(note_url), strict=True
        ):
            assert status == 404, f"{base}{note_url} is {status} before its time"
    assert time.time() < live_at, "the hidden state was checked too late"

    # At its time, everywhere: within two seconds, not at the cache's 10-minute expiry.
    time.sleep(max(0.0, live_at - time.time()))
    deadline = live_at + 2.0
    listed = [False, False]
    shown = [False, False]
    while True:
        for index, base in enumerate(cluster.servers):
            if not listed[index]:
                status, _headers, body = fetch(base + "/")
                listed[index] = status == 200 and title in body
            if not shown[index]:
                status, _headers, body = fetch(base + note_url)
                shown[index] = status == 200 and title in body
        if all(listed) and all(shown):
            break
        if time.time() > deadline:
            at = datetime.fromtimestamp(live_at).isoformat(timespec="milliseconds")
            pytest.fail(
                f"2 s after the note's time ({at}): listed on home {listed}, "
                f"page 200 {shown} (servers {cluster.servers})"
            )
        time.sleep(0.1)
    # And it stays live on both (a cached older page does not come back).
    for status, _headers, body in cluster.get_all("/"):
        assert status == 200 and title in body
    for status, _headers, body in cluster.get_all(note_url):
        assert status == 200 and title in body
