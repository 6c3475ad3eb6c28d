"""The site under gunicorn while its services fail for real: PostgreSQL stopped and started
again, Redis stopped and started again (`make test-faults`; marked `faults`).

Two gunicorn servers with production settings (two sync workers each) on a throwaway
PostgreSQL database: one with Redis (a private redis-server) and the page cache, one
without Redis. This stops the machine's PostgreSQL service (`pg_ctlcluster … stop`), so it
never runs with the suite (tests/conftest.py leaves tests marked `faults` out unless `-m`
names them) and always starts it again. It waits first until no other client is connected
to PostgreSQL, so it does not break someone else's run. It proves, and prints the figures:

- PostgreSQL stopped: every page answers within seconds, never hangs; a page the page cache
  holds for the current version is still served (200) from Redis, any other is the site's
  503 page (Retry-After, the site's design, no traceback); the outage is logged once per
  worker, not as a traceback per request;
- PostgreSQL started again: the site answers 200 by itself within seconds, every worker
  (their persistent connections were dead), and logs that the database is back;
- Redis stopped: pages are served (uncached) as fast as before, with one warning per
  worker; Redis started again: pages are cached in it again.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.redis_server import PrivateRedis, free_port, private_redis

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parents[2]
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
RESULT = "FAULTS-RESULT "
# PostgreSQL is started again after this long whatever happens to the test process.
GUARD_SECONDS = 180
FIGURES: dict[str, object] = {}


def cluster_version() -> str:
    versions = sorted(os.listdir("/etc/postgresql"), key=lambda name: float(name))
    return versions[-1]


def pg_ctl(action: str) -> float:
    """Stop or start the machine's PostgreSQL cluster; the seconds it took."""
    began = time.monotonic()
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", cluster_version(), "main", action],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return time.monotonic() - began


def pg_ready() -> bool:
    return (
        subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"], timeout=10).returncode
        == 0
    )


def ensure_postgres_running() -> None:
    if not pg_ready():
        pg_ctl("start")
    deadline = time.monotonic() + 60
    while not pg_ready():
        assert time.monotonic() < deadline, "PostgreSQL did not come back"
        time.sleep(0.1)


def others_on_postgres(own_database: str) -> list[str]:
    """Other clients' sessions (someone's test run), which stopping the server would break."""
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        rows = admin.execute(
            "SELECT datname, application_name, client_addr FROM pg_stat_activity"
            " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
            " AND datname IS DISTINCT FROM %s",
            [own_database],
        ).fetchall()
    return [
        f"{name} ({application or 'no name'}, {address})" for name, application, address in rows
    ]


def wait_for_no_other_clients(own_database: str) -> None:
    # Within the suite's 600 s per test (pytest-timeout), with room for the rest.
    deadline = time.monotonic() + float(os.environ.get("FAULTS_WAIT_SECONDS", "420"))
    while others := others_on_postgres(own_database):
        if time.monotonic() > deadline:
            pytest.fail(f"other clients kept PostgreSQL busy, not stopping it: {others}")
        print(f"waiting for other PostgreSQL clients to finish: {others}", flush=True)
        time.sleep(10)


@dataclass
class Answer:
    status: int
    headers: dict
    body: str
    seconds: float
    ended: float


def fetch(url: str, timeout: float = 30) -> Answer:
    began = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status, headers, body = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, headers, body = error.code, dict(error.headers), error.read()
    ended = time.monotonic()
    return Answer(status, headers, body.decode(errors="replace"), ended - began, ended)


@dataclass
class Server:
    base: str
    log: Path
    process: subprocess.Popen

    def get(self, path: str) -> Answer:
        return fetch(self.base + urllib.parse.quote(path, safe="/?=&%"))

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Site:
    redis: PrivateRedis
    cached: Server  # with Redis and the page cache
    plain: Server  # without Redis: the state read from the database on every page
    note_url: str
    database: str


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stderr}"
    return result.stdout


def start_server(env: dict[str, str], logs: Path, name: str) -> Server:
    port = free_port()
    log = logs / f"{name}.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "site_config.wsgi", "--workers", "2",
             "--worker-class", "sync", "--bind", f"127.0.0.1:{port}", "--timeout", "60",
             "--chdir", str(ROOT)],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    server = Server(f"http://127.0.0.1:{port}", log, process)
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, server.log_text()
        try:
            fetch(server.base + "/robots.txt")
            return server
        except OSError:
            assert time.monotonic() < deadline, f"{name} did not start"
            time.sleep(0.1)


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    import psycopg

    try:
        psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=2).close()
    except psycopg.OperationalError as error:
        pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is needed: {error}")
    for tool in ("pg_ctlcluster", "pg_isready", "redis-server"):
        assert shutil.which(tool), f"{tool} is missing"
    database = f"faults_{uuid.uuid4().hex[:12]}"
    static_root = tempfile.mkdtemp(prefix="faults-static-")
    logs = Path(tempfile.mkdtemp(prefix="faults-logs-"))
    base_env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_"))
    }
    base_env.update(
        DJANGO_SETTINGS_MODULE="site_config.settings",
        DATABASE_URL=f"{PG_SERVER}/{database}",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="faults-test-only-secret-key-0123456789-abcdefghijklmnopq",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SITE_URL="http://127.0.0.1",
        DJANGO_STATIC_ROOT=static_root,
        DJANGO_LOG_LEVEL="WARNING",
        DJANGO_REDIS_RETRY_SECONDS="1",
    )
    servers: list[Server] = []
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    try:
        with private_redis() as redis_server:
            manage(base_env, "migrate", "--noinput", "-v", "0")
            manage(base_env, "collectstatic", "--noinput", "-v", "0")
            script = (
                "from django.utils import timezone\n"
                "from notes.models import Category, Note\n"
                "category = Category.objects.create(name='故障演练')\n"
                "note = Note.objects.create(title='数据库停了以后', category=category,\n"
                "    body='正文 $x^2$。', status=Note.Status.PUBLISHED,\n"
                "    published_at=timezone.now() - timezone.timedelta(hours=1))\n"
                "note.tags.add('演练')\n"
                f"print({RESULT!r} + note.get_absolute_url())\n"
            )
            output = manage(base_env, "shell", "-c", script)
            note_url = next(
                line for line in output.splitlines() if line.startswith(RESULT)
            ).removeprefix(RESULT)
            cached_env = {**base_env, "REDIS_URL": redis_server.url, "DJANGO_PAGE_CACHE": "1"}
            servers.append(start_server(cached_env, logs, "cached"))
            servers.append(start_server(base_env, logs, "plain"))
            site = Site(redis_server, *servers, note_url=note_url, database=database)
            yield site
    finally:
        for server in servers:
            server.process.terminate()
        for server in servers:
            try:
                server.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()
        ensure_postgres_running()
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        shutil.rmtree(static_root, ignore_errors=True)
        shutil.rmtree(logs, ignore_errors=True)
        if FIGURES:
            print("\n" + RESULT + json.dumps(FIGURES, indent=2), flush=True)
            if os.environ.get("FAULTS_JSON"):
                Path(os.environ["FAULTS_JSON"]).write_text(json.dumps(FIGURES, indent=2))


def assert_friendly_503(answer: Answer, where: str) -> None:
    assert answer.status == 503, (where, answer.status, answer.body[:500])
    assert answer.headers.get("Retry-After"), where
    assert 'class="site-header"' in answer.body, f"{where}: not the site's own 503 page"
    assert "暂时无法访问" in answer.body, where
    assert "Traceback" not in answer.body and "OperationalError" not in answer.body, where


def test_postgresql_stopped_and_started_again(site: Site) -> None:
    # Before: everything answers, and the cached server keeps the home and note pages.
    for server in (site.cached, site.plain):
        for path in ("/", site.note_url):
            for _ in range(2):
                assert server.get(path).status == 200, (server.base, path)
    cached_pages = ("/", site.note_url)
    # Pages that ask the database (the archive index, say, is drawn from the state alone).
    uncached_pages = ("/tag/", "/series/", "/feed/", "/search/?q=演练")

    wait_for_no_other_clients(site.database)
    answers: list[tuple[str, Answer]] = []

    def ask(server: Server, path: str) -> Answer:
        answer = fetch(server.base + urllib.parse.quote(path, safe="/?=&%"), timeout=10)
        answers.append((path, answer))
        return answer

    stopped_at = time.monotonic()
    # Starts PostgreSQL again even if this process dies meanwhile (pytest-timeout's thread
    # method exits at once, skipping every finally): the machine's other users need it.
    guard = subprocess.Popen(
        ["sh", "-c", f"sleep {GUARD_SECONDS}; pg_isready -h 127.0.0.1 -p 5432 -q || "
         f"pg_ctlcluster --skip-systemctl-redirect {cluster_version()} main start"],
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        stop_seconds = pg_ctl("stop")
        assert not pg_ready()
        down_at = time.monotonic()
        # Several rounds, so that both workers of each server meet the outage.
        for _ in range(4):
            for path in uncached_pages:
                for server in (site.cached, site.plain):
                    assert_friendly_503(ask(server, path), f"{server.base}{path}")
            for path in cached_pages:
                assert_friendly_503(ask(site.plain, path), f"plain {path}")
                # The cached server still has this version's copy in Redis: served, not 503.
                answer = ask(site.cached, path)
                assert answer.status == 200, f"cached {path}: {answer.status}"
                assert "数据库停了以后" in answer.body
            # No page at this address: the 404 page shows the category navigation, from the
            # state in Redis on the cached server; the plain one would have to ask the database.
            assert ask(site.cached, "/no/such/page/").status == 404
            assert_friendly_503(ask(site.plain, "/no/such/page/"), "plain /no/such/page/")
        first_503 = next(answer.ended for _path, answer in answers if answer.status == 503)
        slowest = max(answer.seconds for _path, answer in answers)
        assert slowest < 5, f"a page took {slowest:.2f} s while the database was down"
    finally:
        start_seconds = pg_ctl("start")
        while not pg_ready():
            time.sleep(0.05)
        ready_at = time.monotonic()
        os.killpg(guard.pid, signal.SIGKILL)  # the shell and its sleep
        guard.wait()

    # Back by itself: poll until every page answers 200 on both servers.
    recovered: dict[str, float] = {}
    deadline = ready_at + 10
    while len(recovered) < 2:
        for name, server in (("cached", site.cached), ("plain", site.plain)):
            if name not in recovered and server.get("/tag/").status == 200:
                recovered[name] = time.monotonic() - ready_at
        assert time.monotonic() < deadline, f"not back 10 s after PostgreSQL was: {recovered}"
        time.sleep(0.05)
    # Every worker: each had a dead persistent connection.
    for server in (site.cached, site.plain):
        for _ in range(6):
            for path in ("/", "/tag/", site.note_url, "/feed/"):
                answer = server.get(path)
                assert answer.status == 200, (server.base, path, answer.status)

    for name, server in (("cached", site.cached), ("plain", site.plain)):
        log = server.log_text()
        assert "Traceback" not in log, f"{name}:\n{log}"
        unreachable = log.count("Database unreachable")
        assert 1 <= unreachable <= 2, f"{name}: logged {unreachable} times (2 workers)\n{log}"
        # Logged by a worker when it connects again; on the cached server a worker may serve
        # every later request from Redis and never need to.
        assert 1 <= log.count("Database reachable again") <= unreachable, f"{name}:\n{log}"
        print(f"\n{name}'s log:", *(line for line in log.splitlines() if "Database" in line),
              sep="\n  ")  # fmt: skip

    FIGURES["postgresql"] = {
        "stop_seconds": round(stop_seconds, 2),
        "first_503_after_stop_seconds": round(first_503 - down_at, 3),
        "slowest_answer_while_down_seconds": round(slowest, 3),
        "answers_while_down": len(answers),
        "answered_503": sum(answer.status == 503 for _path, answer in answers),
        "down_seconds": round(ready_at - stopped_at, 2),
        "start_seconds": round(start_seconds, 2),
        "recovery_after_ready_seconds": {
            name: round(value, 3) for name, value in recovered.items()
        },
    }
    print(RESULT + json.dumps({"postgresql": FIGURES["postgresql"]}), flush=True)


def test_redis_stopped_and_started_again(site: Site) -> None:
    server, redis_server = site.cached, site.redis
    paths = ("/", site.note_url, "/tag/", "/feed/")
    for path in paths:
        assert server.get(path).status == 200
    assert any(":notes:page:" in key for key in redis_server.stored_keys())
    before = max(server.get(path).seconds for path in paths)

    redis_server.stop()
    down_at = time.monotonic()
    slowest = 0.0
    for _ in range(5):
        for path in paths:
            answer = server.get(path)
            slowest = max(slowest, answer.seconds)
            assert answer.status == 200, (path, answer.status)
            assert "数据库停了以后" in answer.body or path == "/tag/"
    down_for = time.monotonic() - down_at
    assert slowest < 1, f"a page took {slowest:.2f} s while Redis was down"

    redis_server.start()
    up_at = time.monotonic()
    deadline = up_at + 10

    def redis_lines(text: str) -> list[str]:
        return [
            line for line in server.log_text().splitlines() if "Redis at" in line and text in line
        ]

    # Until pages are stored in Redis again and each worker that met the outage says it is
    # back (a worker says so when it next asks Redis, after its retry period).
    used_again: float | None = None
    while True:
        for path in paths:
            assert server.get(path).status == 200
        if used_again is None and any(":notes:page:" in k for k in redis_server.stored_keys()):
            used_again = time.monotonic() - up_at
        warnings, back = redis_lines("unreachable ("), redis_lines("reachable again")
        if used_again is not None and len(back) == len(warnings):
            break
        assert time.monotonic() < deadline, (used_again, warnings, back)
        time.sleep(0.1)

    log = server.log_text()
    assert "Traceback" not in log, log
    assert 1 <= len(warnings) <= 2, f"Redis outage logged {len(warnings)} times by 2 workers"
    print("\ncached's log:", *(line for line in log.splitlines() if "Redis at" in line),
          sep="\n  ")  # fmt: skip
    FIGURES["redis"] = {
        "slowest_answer_before_seconds": round(before, 3),
        "slowest_answer_while_down_seconds": round(slowest, 3),
        "answers_while_down": 5 * len(paths),
        "down_seconds": round(down_for, 2),
        "used_again_after_seconds": round(used_again, 3),
        "warnings_logged": len(warnings),
    }
    print(RESULT + json.dumps({"redis": FIGURES["redis"]}), flush=True)
