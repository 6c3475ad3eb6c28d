"""Every paperfetch test: no network, no real sleep, a fresh cache, English, no mailto."""

from __future__ import annotations

import httpx
import pytest
from django.core.cache import cache
from django.utils import translation

from notes.paperfetch import network


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """A client built without a MockTransport fails, and so does any real transport: a test
    that forgot its recording cannot reach arXiv or Crossref."""
    real_init = httpx.Client.__init__

    def only_replays(self: httpx.Client, *args: object, **kwargs: object) -> None:
        if not isinstance(kwargs.get("transport"), httpx.MockTransport):
            raise AssertionError("tests never reach the network: pass a MockTransport client")
        real_init(self, *args, **kwargs)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("tests never reach the network")

    monkeypatch.setattr(httpx.Client, "__init__", only_replays)
    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", refuse)


@pytest.fixture(autouse=True)
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Nothing sleeps: the clock moves only when the module asks to sleep, and every sleep asked
    for is recorded."""
    now = [1_700_000_000.0]
    sleeps: list[float] = []

    def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    # Patched where they are read: notes.paperfetch.network, not re-exported by the package.
    monkeypatch.setattr(network, "sleep", fake_sleep)
    monkeypatch.setattr(network, "clock", lambda: now[0])
    return sleeps


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def english():
    """Messages are read in English here; the site's default language is Chinese."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def no_mailto(settings) -> None:
    settings.PAPER_FETCH_MAILTO = ""
