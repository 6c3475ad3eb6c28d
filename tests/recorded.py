"""Recorded answers of arXiv, Crossref and DataCite (tests/fixtures/papers/), replayed for code
that fetches paper details without being handed a client: the admin's Fetch button, the
importer's --fetch. Nothing reaches the network."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from django.core.cache import cache

from notes.paperfetch import network

FIXTURES = Path(__file__).parent / "fixtures" / "papers"


def recorded(name: str) -> tuple[int, bytes]:
    """A fixture's HTTP status and body: arxiv.py's golden files keep both (the body read as
    latin-1); the other files are bodies as sent, with the status their README gives."""
    path = FIXTURES / name
    if path.suffix == ".json" and name.startswith("arxiv-"):
        record = json.loads(path.read_text())
        return record["status_code"], record["body"].encode("latin-1")
    return (404 if name.endswith("404.txt") else 200), path.read_bytes()


@contextmanager
def replaying(
    answers: dict[str, str | Callable[[httpx.Request], httpx.Response]],
) -> Iterator[list[httpx.Request]]:
    """Answer each request whose URL contains a key with that fixture (or handler); any other
    request fails the test. Yields the requests made."""
    requests: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        for part, answer in answers.items():
            if part in str(request.url):
                if callable(answer):
                    return answer(request)
                status, body = recorded(answer)
                return httpx.Response(status, content=body)
        raise AssertionError(f"no recorded answer for {request.url}")

    # Set on the module that reads them: notes.paperfetch does not re-export them.
    before = (network.transport, network.sleep)
    network.transport = httpx.MockTransport(handle)
    network.sleep = lambda seconds: None
    cache.clear()
    try:
        yield requests
    finally:
        network.transport, network.sleep = before
        cache.clear()


def network_down(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("no route to host", request=request)
