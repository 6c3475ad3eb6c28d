"""What one rendering knows and reports: where links point and how large images are
(``RenderContext``, from the caller), the limits and deadline it keeps to, and what the
extensions saw (``RenderState``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from notes.rendering.math import EquationPlan


@dataclass(frozen=True)
class LinkTarget:
    """Where a ``[[wiki link]]`` points: a note's URL and title, and whether readers see it."""

    slug: str
    url: str
    title: str
    is_public: bool = True
    # How a link reads in a sentence ("DreamFusion"); the full title goes in its tooltip.
    short_title: str = ""


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
    where one can be delivered, see notes.rendering)."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise RenderTimeout


@dataclass(frozen=True)
class RenderContext:
    """What rendering may know about the rest of the site, passed in so rendering stays pure."""

    resolve_link: Callable[[str], LinkTarget | None] = lambda key: None
    image_sizes: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    limits: RenderLimits = field(default_factory=RenderLimits)


@dataclass
class RenderState:
    warnings: list[str] = field(default_factory=list)
    # Each [[link]] target as written (normalised) -> the slug it resolved to, or None.
    links: dict[str, str | None] = field(default_factory=dict)
    formulas: int = 0
    equations: EquationPlan = field(default_factory=EquationPlan)
    limits: RenderLimits = field(default_factory=RenderLimits)
    deadline: Deadline | None = None
    # Seconds spent typesetting formulas so far, against RenderLimits.math_seconds.
    math_seconds: float = 0.0

    def check(self) -> None:
        if self.deadline is not None:
            self.deadline.check()
