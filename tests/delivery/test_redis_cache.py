"""notes.delivery.redis_cache: Django's Redis cache reusing its clients (on the local Redis), and
behaving as an empty cache while Redis is down (on a private redis-server, stopped and
started again by the tests)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest
import redis
from django.test import override_settings

from notes.delivery import state
from notes.delivery.redis_cache import ReusingRedisCache
from tests.factories import make_note
from tests.redis_server import PrivateRedis, private_redis

URL = "redis://127.0.0.1:6379/11"


def redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def cache():
    if not redis_up():
        pytest.skip("Redis is not running on 127.0.0.1")
    backend = ReusingRedisCache(URL, {"KEY_PREFIX": "test-reuse"})
    yield backend
    backend.clear()


def test_one_client_serves_every_operation(cache) -> None:
    client = cache._cache.get_client(write=True)
    cache.set("a", 1)
    assert cache._cache.get_client(write=True) is client
    assert cache._cache.get_client(write=False) is cache._cache.get_client(write=False)


def test_values_round_trip_as_with_djangos_backend(cache) -> None:
    cache.set_many({"page": (b"\x1f\x8b", 200, [("Content-Type", "text/html")]), "n": 3})
    assert cache.get_many(["page", "n", "missing"]) == {
        "page": (b"\x1f\x8b", 200, [("Content-Type", "text/html")]),
        "n": 3,
    }
    cache.delete("n")
    assert cache.get("n") is None


# --- Redis down: an empty cache, not an error -------------------------------------------


@pytest.fixture
def server() -> Iterator[PrivateRedis]:
    with private_redis() as running:
        yield running


def backend_for(server: PrivateRedis, timeout: float = 0.2) -> ReusingRedisCache:
    return ReusingRedisCache(
        server.url,
        {
            "KEY_PREFIX": "down",
            "OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout},
        },
    )


def test_a_stopped_redis_is_a_cache_miss(server: PrivateRedis, settings) -> None:
    settings.REDIS_RETRY_SECONDS = 0
    backend = backend_for(server)
    backend.set("page", b"cached")
    server.stop()
    assert backend.get("page") is None
    assert backend.get_many(["page", "state"]) == {}
    backend.set("page", b"again")  # dropped, not raised
    assert backend.add("other", 1) is False


def test_a_redis_that_does_not_answer_costs_one_timeout_per_retry_period(
    server: PrivateRedis, settings
) -> None:
    """Frozen, Redis accepts connections and answers nothing: without the breaker every
    cache call (three per page) would wait for the timeout."""
    settings.REDIS_RETRY_SECONDS = 30
    backend = backend_for(server, timeout=0.3)
    backend.set("page", b"cached")
    with server.frozen():
        began = time.monotonic()
        assert backend.get("page") is None
        first = time.monotonic() - began
        began = time.monotonic()
        for _ in range(30):
            assert backend.get_many(["state", "page"]) == {}
            backend.set("page", b"new")
        rest = time.monotonic() - began
    assert 0.25 < first < 1.0, first
    assert rest < 0.05, f"60 calls after the first timeout took {rest:.2f} s"


def test_an_outage_is_logged_once_and_its_end_once(
    server: PrivateRedis, settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.REDIS_RETRY_SECONDS = 0
    backend = backend_for(server)
    backend.set("page", b"cached")
    server.stop()
    with caplog.at_level(logging.WARNING, logger="notes.delivery.redis_cache"):
        for _ in range(20):
            backend.get_many(["state", "page"])
            backend.set("page", b"new")
        assert len(caplog.records) == 1, caplog.text
        assert "unreachable" in caplog.text and "Connection refused" in caplog.text
        assert "Traceback" not in caplog.text
        caplog.clear()
        server.start()
        backend.get("page")
        assert [record.getMessage() for record in caplog.records] == [
            caplog.records[0].getMessage()
        ]
        assert "reachable again" in caplog.text


def test_redis_is_used_again_once_the_retry_period_is_over(server: PrivateRedis, settings) -> None:
    settings.REDIS_RETRY_SECONDS = 3
    backend = backend_for(server)
    server.stop()
    backend.set("page", b"lost")
    server.start()
    backend.set("page", b"kept")  # still inside the retry period: dropped
    assert server.stored_keys() == []
    time.sleep(max(0.0, backend.breaker.open_until - time.monotonic()))
    backend.set("page", b"kept")
    assert backend.get("page") == b"kept"
    assert server.stored_keys() == ["down:1:page"]


def test_a_delete_that_failed_is_made_when_redis_is_back(server: PrivateRedis, settings) -> None:
    """A Redis that kept its data through the outage must not hand out what a save during it
    made old: the deletes that failed are made first, with the site state's key."""
    settings.REDIS_RETRY_SECONDS = 0
    backend = backend_for(server)
    backend.set("note-page", b"old")
    backend.set(state.CACHE_KEY, "old state")
    backend.set("other", b"kept")
    with server.frozen():
        backend.delete("note-page")
    assert backend.get("other") == b"kept"
    assert backend.get("note-page") is None
    assert backend.get(state.CACHE_KEY) is None


@pytest.mark.django_db
def test_pages_are_served_while_redis_is_down_and_cached_again_after(
    server: PrivateRedis, client, caplog: pytest.LogCaptureFixture
) -> None:
    note = make_note("Redis 停了也能读", body="正文。")
    on_redis = {
        "default": {
            "BACKEND": "notes.delivery.redis_cache.ReusingRedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": "site",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    # Undone before the suite's own fixtures clear the default cache.
    with override_settings(
        CACHES=on_redis, SITE_STATE_IN_CACHE=True, PAGE_CACHE=True, REDIS_RETRY_SECONDS=0.2
    ):
        assert client.get("/").status_code == 200
        assert any(":notes:page:" in key for key in server.stored_keys())

        server.stop()
        with caplog.at_level(logging.WARNING, logger="notes.delivery.redis_cache"):
            began = time.monotonic()
            for path in ("/", note.get_absolute_url(), "/feed/", "/"):
                response = client.get(path)
                assert response.status_code == 200, path
                assert "Redis 停了也能读" in response.content.decode()
            assert time.monotonic() - began < 2
        assert len(caplog.records) == 1 and "unreachable" in caplog.text

        server.start()
        time.sleep(0.25)
        assert client.get("/").status_code == 200
        assert client.get(note.get_absolute_url()).status_code == 200
        keys = server.stored_keys()
    assert any(":notes:site-state" in key for key in keys), keys
    assert sum(":notes:page:" in key for key in keys) == 2, keys
