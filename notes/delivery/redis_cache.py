"""Django's Redis cache, with one client per connection pool instead of one per operation,
and a circuit breaker for a Redis that is down.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every cache call,
and building one (its table of response callbacks) cost more than the round trip to Redis:
a third of a page served from the cache. A client is safe to share between threads; the
pool it wraps does the connection handling, as before.

A cache that cannot be reached is a cache miss, never an error page: after a connection
error or a timeout the process leaves Redis alone for ``REDIS_RETRY_SECONDS`` (reads miss,
writes are dropped), then tries again with the next call. A Redis that does not answer at
all thus costs one timeout per process every few seconds, not one per cache call, and the
log gets one line when it goes away and one when it is back, not a traceback per call.
Deletes that could not be made are made when it is back, together with the site state's
key (notes.delivery.state): a Redis that kept its data across the outage (persistence, a network
cut) would otherwise hand out a state some editor's save has already made old. Only
``incr``, ``decr`` and ``clear`` still raise, having no harmless fallback.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import TypeVar
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from notes.delivery.outages import Outage

logger = logging.getLogger(__name__)
T = TypeVar("T")
# Refused, reset, unknown host, still loading its data, wrong password, no answer in time.
DOWN = (RedisConnectionError, RedisTimeoutError)


class ReusingRedisCacheClient(RedisCacheClient):
    def get_client(self, key=None, *, write: bool = False):
        index = self._get_connection_pool_index(write)
        clients = self.__dict__.setdefault("_clients", {})
        client = clients.get(index)
        if client is None:
            client = clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class Breaker:
    """Whether this process should ask Redis now; one per Redis address, shared by threads."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.open_until = 0.0
        self.pending_deletes: set[str] = set()
        retry = "; trying again every %(retry)g s"
        self.outage = Outage(
            logger,
            logging.WARNING,
            began=f"Redis at {where} unreachable (%(error)s): pages are served without the "
            f"cache{retry}",
            still=f"Redis at {where} still unreachable after %(seconds).0f s (%(error)s){retry}",
            back=f"Redis at {where} reachable again after %(seconds).1f s: the cache is used again",
        )

    @property
    def down_since(self) -> float | None:
        return self.outage.began

    def closed(self) -> bool:
        return time.monotonic() >= self.open_until

    def failed(self, error: Exception) -> None:
        retry = getattr(settings, "REDIS_RETRY_SECONDS", 5)
        self.open_until = time.monotonic() + retry
        self.outage.failed(error, retry=retry)

    def succeeded(self) -> None:
        if self.outage.ongoing and self.outage.ended():
            self.pending_deletes.clear()


_breakers: dict[str, Breaker] = {}
_breakers_lock = threading.Lock()


def _where(servers: list[str]) -> str:
    """The addresses without credentials, for the log."""
    shown = []
    for server in servers:
        parts = urlsplit(server)
        if parts.hostname:
            shown.append(f"{parts.hostname}:{parts.port or 6379}{parts.path}")
        else:  # a Unix socket
            shown.append(parts.path or server)
    return ",".join(shown)


def breaker_for(servers: list[str]) -> Breaker:
    key = ",".join(servers)
    with _breakers_lock:
        if key not in _breakers:
            _breakers[key] = Breaker(_where(servers))
        return _breakers[key]


class ReusingRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache``, sharing its clients, and treating a
    Redis that cannot be reached as an empty cache for a few seconds at a time."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
        self.breaker = breaker_for(self._servers)

    def _guarded(self, operation: Callable[[], T], fallback: T, deletes: Iterable[str] = ()) -> T:
        breaker = self.breaker
        if not breaker.closed():
            breaker.pending_deletes.update(deletes)
            return fallback
        try:
            if breaker.down_since is not None:
                self._after_outage()
            result = operation()
        except DOWN as error:
            breaker.pending_deletes.update(deletes)
            breaker.failed(error)
            return fallback
        breaker.succeeded()
        return result

    def _after_outage(self) -> None:
        """Before anything is read again: the deletes that failed, and the site state, which
        a save during the outage may have made old without being able to say so here."""
        from notes.delivery.state import CACHE_KEY

        keys = {*self.breaker.pending_deletes, self.make_and_validate_key(CACHE_KEY)}
        self._cache.delete_many(list(keys))

    # Each operation is Django's, run through the breaker with the value a miss would give.
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        parent = super()
        return self._guarded(lambda: parent.add(key, value, timeout, version), False)

    def get(self, key, default=None, version=None):
        parent = super()
        return self._guarded(lambda: parent.get(key, default, version), default)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> None:
        parent = super()
        self._guarded(lambda: parent.set(key, value, timeout, version), None)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        parent = super()
        return self._guarded(lambda: parent.touch(key, timeout, version), False)

    def delete(self, key, version=None) -> bool:
        parent, made = super(), [self.make_and_validate_key(key, version=version)]
        return self._guarded(lambda: parent.delete(key, version), False, deletes=made)

    def get_many(self, keys, version=None) -> dict:
        parent = super()
        return self._guarded(lambda: parent.get_many(keys, version), {})

    def has_key(self, key, version=None) -> bool:
        parent = super()
        return self._guarded(lambda: parent.has_key(key, version), False)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None) -> list:
        parent = super()
        return self._guarded(lambda: parent.set_many(data, timeout, version), list(data))

    def delete_many(self, keys, version=None) -> None:
        parent = super()
        made = [self.make_and_validate_key(key, version=version) for key in keys]
        self._guarded(lambda: parent.delete_many(keys, version), None, deletes=made)
