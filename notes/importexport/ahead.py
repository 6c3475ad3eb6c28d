"""Bodies rendered ahead in worker processes while the import saves, so both cores work.

A worker knows nothing of the database: it renders with an empty context, as if no ``[[link]]``
resolved and no figure had a size. ``RenderedBody.rendered()`` takes such a result only when
the note's real context agrees (``notes.rendering.fits_context``); otherwise the note is
rendered again on save, as without workers.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

import django

from notes.rendering import RenderContext, RenderLimits, RenderResult, render_markdown

# Below this many files the workers' start (a Python and a V8 each) costs more than it saves.
MIN_FILES = 40
# Bodies rendered ahead of the one being saved, per worker: enough to keep workers busy while
# the main process writes, few enough that results never pile up in memory.
AHEAD_PER_WORKER = 8


def _render(body: str, limits: RenderLimits) -> RenderResult:
    return render_markdown(body, RenderContext(limits=limits))


def processes() -> int:
    return max(1, min(4, (os.cpu_count() or 1)))


def render_ahead(
    bodies: Iterable[str], limits: RenderLimits, *, workers: int | None = None
) -> Iterator[RenderResult | None]:
    """Each body's rendering, in order; None for each when it is not worth the workers."""
    bodies = list(bodies)
    workers = processes() if workers is None else workers
    if workers < 2 or len(bodies) < MIN_FILES:
        yield from (None for _ in bodies)
        return
    # "spawn": V8, which renders math, does not survive fork().
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=django.setup) as pool:
        pending: deque[Future[RenderResult]] = deque()
        queued = iter(bodies)
        for body in queued:
            pending.append(pool.submit(_render, body, limits))
            if len(pending) >= workers * AHEAD_PER_WORKER:
                break
        while pending:
            future = pending.popleft()
            try:
                result = future.result()
            except Exception:  # a worker that failed: the save renders this body itself
                result = None
            for body in queued:
                pending.append(pool.submit(_render, body, limits))
                break
            yield result
