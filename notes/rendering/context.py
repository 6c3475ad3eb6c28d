"""What one rendering knows and reports: where links and citations point, how large images are
and its limits (``RenderContext``, from the caller), and what the extensions saw
(``RenderState``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from notes.rendering.editor_warnings import RenderWarning, Source
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
class CitedWork:
    """What a citation ``[@key]`` points at: a paper's BibTeX key, its page on this site and
    a CSL-JSON item (type, title, author, issued, container-title, DOI, URL, number…) that
    its entry in the note's reference list is formatted from."""

    key: str
    url: str
    csl: Mapping[str, Any]


# The CSL style of a note's reference list, by the language family of its prose.
DEFAULT_CITATION_STYLES: Mapping[str, str] = {"zh": "chinese-gb7714-2005-numeric", "en": "ieee"}


@dataclass(frozen=True)
class RenderContext:
    """What rendering may know about the rest of the site, passed in so rendering stays pure."""

    resolve_link: Callable[[str], LinkTarget | None] = lambda key: None
    image_sizes: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    limits: RenderLimits = field(default_factory=RenderLimits)
    # Called with a citation's key as written after "@" ("hu2022lora", "arxiv:2106.09685").
    resolve_citation: Callable[[str], CitedWork | None] = lambda key: None
    citation_styles: Mapping[str, str] = field(
        default_factory=lambda: dict(DEFAULT_CITATION_STYLES)
    )


@dataclass
class RenderState:
    """What the extensions saw while rendering, for the pipeline to report and store."""

    warnings: list[RenderWarning] = field(default_factory=list)
    # Each [[link]] target as written (normalised) -> the slug it resolved to, or None.
    links: dict[str, str | None] = field(default_factory=dict)
    # Each citation key as written -> the BibTeX key of the work it resolved to, or None.
    citations: dict[str, str | None] = field(default_factory=dict)
    # Each cited work in order of first citation, with the ids of the places that cite it.
    references: list[tuple[CitedWork, list[str]]] = field(default_factory=list)
    formulas: int = 0
    equations: EquationPlan = field(default_factory=EquationPlan)
    limits: RenderLimits = field(default_factory=RenderLimits)
    deadline: Deadline | None = None
    # Seconds spent typesetting formulas so far, against RenderLimits.math_seconds.
    math_seconds: float = 0.0

    def warn(
        self,
        msgid: str,
        params: Mapping[str, Any] | None = None,
        *,
        source: Source | None = None,
        nth: int | None = None,
    ) -> RenderWarning:
        """Tell the editor something; ``msgid`` is a ``gettext_noop`` literal with
        %-placeholders, ``source`` the text (or a pattern) in the body it is about, so the
        pipeline can give the warning its line."""
        warning = RenderWarning(msgid, params, source=source, nth=nth)
        self.warnings.append(warning)
        return warning

    def check(self) -> None:
        if self.deadline is not None:
            self.deadline.check()
