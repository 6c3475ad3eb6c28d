"""What one rendering knows and reports: where links point, how large images are and its
limits (``RenderContext``, from the caller), and what the extensions saw (``RenderState``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from notes.rendering.limits import Deadline, RenderLimits
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
class RenderContext:
    """What rendering may know about the rest of the site, passed in so rendering stays pure."""

    resolve_link: Callable[[str], LinkTarget | None] = lambda key: None
    image_sizes: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    limits: RenderLimits = field(default_factory=RenderLimits)


@dataclass
class RenderState:
    """What the extensions saw while rendering, for the pipeline to report and store."""

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
