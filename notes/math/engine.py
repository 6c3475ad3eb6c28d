"""Temml, the reference LaTeX→MathML converter, run in embedded V8 (mini-racer).

One V8 isolate per process, loaded on first use, driven from one worker thread of its own: an
isolate is not thread-safe, and mini-racer's time limit only works where no asyncio loop runs
(an ASGI server's thread, or Playwright's in the browser tests). Each call has a time limit, so a
pathological formula cannot hang a worker. A forked process (gunicorn) starts its own.
"""

from __future__ import annotations

import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from py_mini_racer import JSEvalException, JSTimeoutException, MiniRacer

TEMML_JS = Path(__file__).with_name("vendor") / "temml.min.js"
TEMML_VERSION = "0.13.5"
# A formula that takes longer than this is refused: real formulas take about a millisecond.
TIMEOUT_MS = 2_000

_isolate: MiniRacer | None = None
_executor: ThreadPoolExecutor | None = None
_owner_pid: int | None = None

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
    """The formula cannot be typeset; the message is meant for the note's author."""


def _engine() -> MiniRacer:
    """The isolate; only ever called on the executor's thread."""
    global _isolate
    if _isolate is None:
        isolate = MiniRacer()
        isolate.eval(TEMML_JS.read_text(encoding="utf-8"))
        isolate.eval(f"var __render = {_RENDER};")
        _isolate = isolate
    return _isolate


def render_to_string(tex: str, *, display: bool, macros: dict[str, str] | None = None) -> str:
    """Temml's MathML for ``tex``.

    Options: no ``trust`` (no \\href, \\url, \\class, \\style, \\htmlId), a cap on macro
    expansion (no \\def bombs), and errors raised rather than drawn in red.
    """
    options = {
        "displayMode": display,
        "annotate": False,  # the annotation is added by notes.math, after line breaking
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
        ok, result = _run(call)
    except JSTimeoutException as exc:
        raise MathError("the formula took too long to typeset") from exc
    except JSEvalException as exc:  # an engine failure, not a TeX error
        raise MathError(f"the math engine failed ({exc.__class__.__name__})") from exc
    if not ok:
        raise MathError(_clean_message(result))
    return result


def _run(call: str) -> list:
    global _executor, _isolate, _owner_pid
    if _owner_pid != os.getpid():  # first use, or a child forked from a process that used it
        _executor, _isolate, _owner_pid = ThreadPoolExecutor(1, "temml"), None, os.getpid()
    return _executor.submit(lambda: _engine().eval(call, timeout=TIMEOUT_MS)).result()


def _clean_message(message: str) -> str:
    """Temml's message without its combining underlines; an internal JavaScript error (Temml
    trips on a few incomplete inputs such as a lone "^") said as what it means."""
    if "Cannot read properties" in message or "is not a function" in message:
        return "the formula is incomplete (a ^, _ or command is missing its argument)"
    message = message.replace("\u0332", "").strip()
    message = re.sub(r"\s+", " ", message)
    return message[:200]
