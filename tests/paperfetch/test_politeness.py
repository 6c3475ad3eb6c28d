"""The cache, arXiv's spacing, the User-Agent, mailto and timeout, and no network in tests."""

from __future__ import annotations

import ast
from importlib import metadata
from pathlib import Path

import httpx
import pytest
from django.core.cache import cache

from notes import paperfetch
from notes.paperfetch import (
    Unavailable,
    fetch,
    fetch_arxiv,
    network,
)
from tests.paperfetch.support import (
    ELIFE,
    STANLEY,
    Replay,
    recorded,
    recorded_arxiv,
)

# ---------------------------------------------------------------------------------------------
# Cache, spacing, politeness


def test_the_second_fetch_of_a_paper_asks_nothing() -> None:
    replay = Replay(export_arxiv_org=recorded_arxiv("arxiv-1605.08386.json"))
    first = fetch("arXiv:1605.08386v1", client=replay.client)
    # Another spelling of the same paper is the same cache entry.
    second = fetch("https://arxiv.org/abs/1605.08386", client=replay.client)
    third = fetch_arxiv("1605.08386", client=replay.client)
    assert first == second == third == STANLEY
    assert len(replay.requests) == 1


def test_dois_are_cached_too() -> None:
    replay = Replay(api_crossref_org=(200, recorded("crossref-10.7554-elife.01567.json")))
    assert fetch("10.7554/elife.01567", client=replay.client) == ELIFE
    assert fetch("doi:10.7554/ELIFE.01567", client=replay.client) == ELIFE
    assert len(replay.requests) == 1


def test_failures_are_not_cached() -> None:
    replay = Replay(export_arxiv_org=[(503, b""), recorded_arxiv("arxiv-1605.08386.json")])
    with pytest.raises(Unavailable):
        fetch("1605.08386", client=replay.client)
    assert fetch("1605.08386", client=replay.client) == STANLEY
    assert len(replay.requests) == 2


def test_arxiv_requests_are_spaced_three_seconds_apart(slept: list[float]) -> None:
    replay = Replay(
        export_arxiv_org=[
            recorded_arxiv("arxiv-1605.08386.json"),
            recorded_arxiv("arxiv-astro-ph-0601001.json"),
        ]
    )
    fetch("1605.08386", client=replay.client)
    assert slept == []
    fetch("astro-ph/0601001", client=replay.client)
    assert slept == [3.0]
    # A cached answer asks nothing of arXiv, so nothing waits.
    fetch("1605.08386", client=replay.client)
    assert slept == [3.0]
    assert len(replay.requests) == 2


def test_the_spacing_counts_from_the_last_request_of_any_process(slept: list[float]) -> None:
    # Another process asked arXiv 1 second ago: its time is in the shared cache.
    now = network.clock()
    cache.set("paperfetch:v2:arxiv-last-request", now - 1.0, 60)
    fetch(
        "1605.08386", client=Replay(export_arxiv_org=recorded_arxiv("arxiv-1605.08386.json")).client
    )
    assert slept == [pytest.approx(2.0)]


def test_crossref_requests_are_not_spaced(slept: list[float]) -> None:
    replay = Replay(
        api_crossref_org=[
            (200, recorded("crossref-10.7554-elife.01567.json")),
            (200, recorded("crossref-10.1371-journal.ppat.1008184.json")),
        ]
    )
    fetch("10.7554/elife.01567", client=replay.client)
    fetch("10.1371/journal.ppat.1008184", client=replay.client)
    assert slept == []


def test_user_agent_and_mailto_are_sent(settings) -> None:
    settings.PAPER_FETCH_MAILTO = "editors@example.org"
    replay = Replay(
        export_arxiv_org=recorded_arxiv("arxiv-1605.08386.json"),
        api_crossref_org=(200, recorded("crossref-10.7554-elife.01567.json")),
    )
    fetch("1605.08386", client=replay.client)
    fetch("10.7554/elife.01567", client=replay.client)
    version = metadata.version("research-notes")
    agents = {request.headers["User-Agent"] for request in replay.requests}
    assert agents == {f"research-notes/{version} (mailto:editors@example.org)"}
    arxiv_request, crossref_request = replay.requests
    assert dict(crossref_request.url.params) == {"mailto": "editors@example.org"}
    assert "mailto" not in arxiv_request.url.params
    assert arxiv_request.headers["Accept"] == "application/atom+xml"
    assert crossref_request.headers["Accept"] == "application/json"


def test_without_mailto_none_is_sent() -> None:
    replay = Replay(api_crossref_org=(200, recorded("crossref-10.7554-elife.01567.json")))
    fetch("10.7554/elife.01567", client=replay.client)
    [request] = replay.requests
    assert request.headers["User-Agent"] == f"research-notes/{metadata.version('research-notes')}"
    assert "mailto" not in request.url.params


def test_the_timeout_comes_from_the_settings(settings) -> None:
    # Unset, it is 10 seconds (the settings file may come to set it).
    if hasattr(settings, "PAPER_FETCH_TIMEOUT"):
        del settings.PAPER_FETCH_TIMEOUT
    replay = Replay(export_arxiv_org=recorded_arxiv("arxiv-1605.08386.json"))
    fetch("1605.08386", client=replay.client)
    assert replay.requests[0].extensions["timeout"]["read"] == 10.0
    cache.clear()
    settings.PAPER_FETCH_TIMEOUT = 2.5
    fetch("1605.08386", client=replay.client)
    assert replay.requests[1].extensions["timeout"] == {
        "connect": 2.5,
        "read": 2.5,
        "write": 2.5,
        "pool": 2.5,
    }


def test_no_test_can_reach_the_network() -> None:
    with pytest.raises(AssertionError, match="never reach the network"):
        httpx.Client()
    # fetch() without a client builds its own, and that is refused here too.
    with pytest.raises(AssertionError, match="never reach the network"):
        fetch("1605.08386")


def test_the_module_stays_out_of_the_database() -> None:
    """import-linter's rule for the pure layer: no models, views or admin."""
    # Every module of the package, not only its __init__.
    sources = sorted(Path(paperfetch.__file__).parent.glob("*.py"))
    assert len(sources) > 1
    imported = set()
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                imported.add(node.module or "")
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    forbidden = ("notes.models", "notes.views", "notes.admin", "django.db")
    assert not [name for name in imported if name.startswith(forbidden)]
