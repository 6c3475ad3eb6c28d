"""Temml, the reference LaTeX→MathML converter, run in embedded V8 (mini-racer).

One V8 isolate per process, loaded on first use, driven from one worker thread of its own: an
isolate is not thread-safe, and mini-racer's time limit only works where no asyncio loop runs
(an ASGI server's thread, or Playwright's in the browser tests). Each call has a time limit, so a
pathological formula cannot hang a worker. V8 does not survive fork(): gunicorn workers each
start their own on first use, and the master must never typeset (no --preload that renders).
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import re
import threading
from concurrent.futures import Future
from pathlib import Path

from django.utils.translation import gettext_noop
from py_mini_racer import JSEvalException, JSTimeoutException, MiniRacer

from notes.rendering.editor_warnings import Message

TEMML_JS = Path(__file__).with_name("vendor") / "temml.min.js"
TEMML_VERSION = "0.13.5"
# A formula that takes longer than this is refused: real formulas take about a millisecond.
TIMEOUT_MS = 2_000

_worker: _Worker | None = None

# Returns [ok, markup-or-message]: exceptions do not cross into Python with their message intact.
_RENDER = """
(tex, options) => {
  try {
    return [true, temml.renderToString(tex, options)];
  } catch (error) {
    return [false, String(error && error.message || error)];
  }
}
"""


class MathError(ValueError):
    """The formula cannot be typeset; the message is meant for the note's author (a
    translatable ``Message`` when it is ours, Temml's English otherwise)."""


def render_to_string(
    tex: str, *, display: bool, macros: dict[str, str] | None = None, timeout_ms: int = TIMEOUT_MS
) -> str:
    """Temml's MathML for ``tex``.

    Options: no ``trust`` (no \\href, \\url, \\class, \\style, \\htmlId), a cap on macro
    expansion (no \\def bombs), and errors raised rather than drawn in red.
    """
    options = {
        "displayMode": display,
        "annotate": False,  # the annotation is added by notes.rendering.math, after line breaking
        "throwOnError": True,
        "trust": False,
        "strict": False,
        "maxSize": 50,
        "maxExpand": 1000,
        "macros": macros or {},
        # Inline formulas may break after a top-level relation or operator, as TeX does.
        "wrap": "tex",
    }
    call = f"__render({json.dumps(tex)}, {json.dumps(options)})"
    try:
        ok, result = _run(call, timeout_ms)
    except JSTimeoutException as exc:
        raise MathError(Message(gettext_noop("the formula took too long to typeset"))) from exc
    except JSEvalException as exc:  # an engine failure, not a TeX error
        raise MathError(
            Message(
                gettext_noop("the math engine failed (%(error)s)"),
                {"error": exc.__class__.__name__},
            )
        ) from exc
    if not ok:
        raise MathError(_clean_message(result))
    return result


class _Worker:
    """One daemon thread that owns the isolate and runs jobs in order.

    Not a ThreadPoolExecutor: its threads are shut down before ``atexit`` handlers run, and
    the isolate must be closed on a live thread before the interpreter finalizes; left to the
    garbage collector then, V8 is torn down in the wrong order and the process ends with a
    segmentation fault (a failed exit status for every command and worker that typeset math).
    """

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.isolate: MiniRacer | None = None
        threading.Thread(target=self._loop, name="temml", daemon=True).start()

    def _loop(self) -> None:
        while True:
            job, result = self.jobs.get()
            try:
                result.set_result(job())
            except BaseException as exc:  # handed to the caller, who raises it
                result.set_exception(exc)

    def call(self, job):
        result: Future = Future()
        self.jobs.put((job, result))
        return result.result()

    def engine(self) -> MiniRacer:
        """The isolate; only ever called on the worker's thread."""
        if self.isolate is None:
            isolate = MiniRacer()
            isolate.eval(TEMML_JS.read_text(encoding="utf-8"))
            isolate.eval(f"var __render = {_RENDER};")
            self.isolate = isolate
        return self.isolate

    def close(self) -> None:
        if self.isolate is not None:
            self.isolate.close()
            self.isolate = None


def _run(call: str, timeout_ms: int = TIMEOUT_MS) -> list:
    global _worker
    if _worker is not None and _worker.pid != os.getpid() and _worker.isolate is not None:
        # V8 does not survive fork(): a child of a process that started it would crash.
        raise RuntimeError(
            "The math engine was started before this process was forked; start it in the "
            "workers only (for gunicorn: no math rendering in the master, e.g. at import)."
        )
    if _worker is None or _worker.pid != os.getpid():  # first use, or a forked child (gunicorn)
        _worker = _Worker()
    worker = _worker
    return worker.call(lambda: worker.engine().eval(call, timeout=timeout_ms))


@atexit.register
def _close() -> None:
    if _worker is not None and _worker.pid == os.getpid():
        _worker.call(_worker.close)


def _clean_message(message: str) -> str:
    """Temml's message without its combining underlines; an internal JavaScript error (Temml
    trips on a few incomplete inputs such as a lone "^") said as what it means."""
    if "Cannot read properties" in message or "is not a function" in message:
        return Message(
            gettext_noop("the formula is incomplete (a ^, _ or command is missing its argument)")
        )
    message = message.replace("\u0332", "").strip()
    message = re.sub(r"\s+", " ", message)
    return message[:200]
