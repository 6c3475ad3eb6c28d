"""What one body may cost: limits checked before rendering, a deadline watched during it."""

from __future__ import annotations

import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.utils.translation import gettext_noop

from notes.rendering.editor_warnings import RenderWarning

if TYPE_CHECKING:
    import markdown


@dataclass(frozen=True)
class RenderLimits:
    """What one body may hold and cost, so rendering it takes a few seconds whatever was typed
    (the site's values are settings.NOTE_BODY_MAX_CHARS, NOTE_MAX_NESTING, NOTE_MAX_FORMULAS
    and NOTE_RENDER_SECONDS)."""

    body_chars: int = 200_000
    nesting: int = 32
    formulas: int = 2_000
    seconds: float = 4.0
    # The formulas' share of the time; by default most of it.
    math_budget: float | None = None

    @property
    def math_seconds(self) -> float:
        """Formulas get most of the time; past it they stay source and the rest renders."""
        return self.seconds * 0.6 if self.math_budget is None else self.math_budget

    @classmethod
    def from_settings(cls, settings: object) -> RenderLimits:
        default = cls()
        return cls(
            body_chars=getattr(settings, "NOTE_BODY_MAX_CHARS", default.body_chars),
            nesting=getattr(settings, "NOTE_MAX_NESTING", default.nesting),
            formulas=getattr(settings, "NOTE_MAX_FORMULAS", default.formulas),
            seconds=getattr(settings, "NOTE_RENDER_SECONDS", default.seconds),
        )


class RenderTimeout(Exception):
    """Rendering ran past its deadline (RenderLimits.seconds)."""


class Deadline:
    """When rendering must have finished; checked between steps (and enforced by a signal
    where one can be delivered, see ``alarm``)."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise RenderTimeout


class Limit(StrEnum):
    LENGTH = "length"
    NESTING = "nesting"
    TIME = "time"


@dataclass(frozen=True)
class LimitProblem:
    """Why a body was not rendered as Markdown: what was found against what is allowed."""

    limit: Limit
    found: float
    allowed: float
    line: int = 0

    def warning(self) -> RenderWarning:
        """What the editor is told; a nesting problem points at its line."""
        if self.limit == Limit.LENGTH:
            return RenderWarning(
                gettext_noop(
                    "The body is shown unformatted: it has %(found)s characters, more than "
                    "%(allowed)s."
                ),
                {"found": f"{self.found:,.0f}", "allowed": f"{self.allowed:,.0f}"},
            )
        if self.limit == Limit.NESTING:
            return RenderWarning(
                gettext_noop(
                    "The body is shown unformatted: lists or quotes are nested %(found)s "
                    "levels deep (line %(line)s), more than %(allowed)s."
                ),
                {"found": f"{self.found:.0f}", "line": self.line, "allowed": f"{self.allowed:.0f}"},
                line=self.line or None,
            )
        return RenderWarning(
            gettext_noop(
                "The body is shown unformatted: it took more than %(seconds)s seconds to render "
                "(look for unclosed brackets, backticks or math delimiters)."
            ),
            {"seconds": f"{self.allowed:g}"},
        )


# --- Before rendering --------------------------------------------------------------------

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_LIST_MARKER = re.compile(r"(?:[*+-]|\d{1,9}[.)])(?:[ \t]|$)")


def nesting_depth(source: str) -> tuple[int, int]:
    """How deeply lists and block quotes nest (levels, and the first line that deep): each
    ">" is a level, as is each list item and each four columns it is indented by. Fenced code
    is left out: its indentation is code, not structure."""
    deepest, deepest_line = 0, 0
    fence = ""
    for number, line in enumerate(source.split("\n"), start=1):
        opened = _FENCE.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = ""
            continue
        if opened:
            fence = opened.group(1)
            continue
        depth, width, position = 0, 0, 0
        while position < len(line) and line[position] in "> \t":
            if line[position] == ">":
                depth += 1 + width // 4
                width = 0
            else:
                width += 4 if line[position] == "\t" else 1
            position += 1
        depth += width // 4 + (1 if _LIST_MARKER.match(line, position) else 0)
        if depth > deepest:
            deepest, deepest_line = depth, number
    return deepest, deepest_line


def check_limits(source: str, limits: RenderLimits) -> LimitProblem | None:
    """What makes a body unfit to render before any rendering: its length, its nesting.
    Linear in the body, so the admin can say so at once."""
    if len(source) > limits.body_chars:
        return LimitProblem(Limit.LENGTH, len(source), limits.body_chars)
    depth, line = nesting_depth(source)
    if depth > limits.nesting:
        return LimitProblem(Limit.NESTING, depth, limits.nesting, line)
    return None


# --- While rendering ---------------------------------------------------------------------


class _WatchedPattern:
    """A compiled pattern that checks the deadline before each search."""

    def __init__(self, pattern: re.Pattern, deadline: Deadline) -> None:
        self._pattern = pattern
        self._deadline = deadline

    def search(self, *args, **kwargs):
        self._deadline.check()
        return self._pattern.search(*args, **kwargs)

    def match(self, *args, **kwargs):
        self._deadline.check()
        return self._pattern.match(*args, **kwargs)

    def finditer(self, *args, **kwargs) -> Iterator[re.Match]:
        self._deadline.check()
        for found in self._pattern.finditer(*args, **kwargs):
            yield found
            self._deadline.check()

    def __getattr__(self, name: str):
        return getattr(self._pattern, name)


def _checked(test: Callable, deadline: Deadline) -> Callable:
    def checked(*args, **kwargs):
        deadline.check()
        return test(*args, **kwargs)

    return checked


def watch(md: markdown.Markdown, deadline: Deadline) -> None:
    """Every inline pattern's search and every block processor's test first checks the
    deadline. Markdown's inline parsing is quadratic for some input: each "[" that is never
    closed is read to the end of its paragraph."""
    for pattern in md.inlinePatterns:
        pattern.compiled_re = _WatchedPattern(pattern.compiled_re, deadline)
    for processor in md.parser.blockprocessors:
        processor.test = _checked(processor.test, deadline)


@contextmanager
def alarm(deadline: Deadline) -> Iterator[None]:
    """The deadline as a hard stop where a signal can deliver it: the main thread, where
    gunicorn's sync workers and management commands render. A single search of a regular
    expression can itself take quadratic time between two checks; Python stops it for a
    signal. Elsewhere (a threaded development server) the checks of ``watch`` are the bound."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    armed = [True]

    def on_alarm(signum, frame) -> None:
        if armed[0]:  # never once the block is left: the timer may fire as it is cancelled
            raise RenderTimeout

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, max(deadline.remaining(), 0.001))
    try:
        yield
    finally:
        armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)
