"""Properties of the rendering pipeline over random input (Hypothesis).

Whatever an editor types — Markdown syntax, LaTeX, raw HTML from the hostile corpus, any
Unicode — ``render_markdown`` (what a save runs) never raises, ends within a few seconds, and
returns HTML the sanitizer leaves as it is: nothing in it is outside the allowlist.

Profiles: "rendering-ci" (derandomized: the same examples on every run, used when CI is set)
and "rendering-dev" (new examples each run); HYPOTHESIS_PROFILE picks another. Neither keeps
an example database in the checkout.
"""

from __future__ import annotations

import os
import time

from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from notes.rendering import RenderLimits, render_markdown, sanitize_html
from tests.hostile_corpus import PAYLOADS

for _name, _derandomize in (("rendering-ci", True), ("rendering-dev", False)):
    hypothesis_settings.register_profile(
        _name,
        max_examples=200,
        derandomize=_derandomize,
        database=None,
        # The time bound is asserted below, as the behaviour under test; Hypothesis' own
        # deadline would fail on the first formula, which starts the math engine.
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
PROFILE = hypothesis_settings.get_profile(
    os.environ.get("HYPOTHESIS_PROFILE")
    or ("rendering-ci" if os.environ.get("CI") else "rendering-dev")
)

MARKDOWN = st.sampled_from(
    [
        "# ", "## ", "### ", "- ", "* ", "1. ", "> ", "    ", "\t", "\n", "\n\n", "---\n",
        "```", "```python\n", "~~~\n", "`", "**", "*", "_", "~~", "[", "]", "(", ")", "![",
        "[[", "]]", "|", "| a | b |\n|---|---|\n", "[^1]", "\n[^1]: ", "\n*[HTML]: ", "{: #x }",
        "<", ">", "&", "&amp;", "&#x3C;", "\\", "https://example.org/a_b", "<https://x.org>",
        "[x](https://example.org \"t\")", "[x][r]\n\n[r]: /notes/r/", "HTML", "Term\n: def\n",
    ]
)  # fmt: skip
LATEX = st.sampled_from(
    [
        "$", "$$", "\\(", "\\)", "\\[", "\\]", "$x^2$", "$$\\frac{a}{b}$$", "\\frac{a}{b}",
        "\\begin{aligned}", "\\end{aligned}", "\\begin{pmatrix}", "\\end{pmatrix}", "&", "\\\\",
        "^", "_", "{", "}", "\\label{eq:a}", "\\eqref{eq:a}", "\\tag{1}", "\\text{", "\\sum",
        "\\alpha", "\\mathcal{L}", "\\href{javascript:alert(1)}{x}", "\\def\\a{\\a\\a}\\a",
        "\\unicode{x3C}", "\\color{red}", "\\boxed{x}", "\\hline", "\\left(", "\\right)",
    ]
)  # fmt: skip
HOSTILE_HTML = st.sampled_from([payload.text for payload in PAYLOADS])
# Any Unicode text (lone surrogates and NUL included, as a broken paste may hold them) and
# runs of the characters whose handling is quadratic in naive parsers.
TEXT = st.text(st.characters(codec=None), max_size=20)
RUNS = st.tuples(st.sampled_from("[(<`$>*_\\|!#"), st.integers(1, 200)).map(lambda r: r[0] * r[1])

SOURCES = st.lists(st.one_of(MARKDOWN, LATEX, HOSTILE_HTML, TEXT, RUNS), max_size=40).map("".join)

EXECUTABLE = {"script", "iframe", "object", "embed", "base", "form", "style", "svg", "meta"}


@PROFILE
@given(SOURCES)
def test_rendering_never_raises_and_ends_within_a_few_seconds(source: str) -> None:
    started = time.monotonic()
    result = render_markdown(source)
    assert time.monotonic() - started < RenderLimits().seconds + 1
    assert isinstance(result.html, str)
    result.html.encode("utf-8")  # storable: no lone surrogate survives


@PROFILE
@given(SOURCES)
def test_output_is_a_fixed_point_of_the_sanitizer(source: str) -> None:
    result = render_markdown(source)
    assert sanitize_html(result.html) == result.html
    assert sanitize_html(result.toc_html) == result.toc_html


@PROFILE
@given(SOURCES)
def test_output_holds_nothing_executable(source: str) -> None:
    tree = LexborHTMLParser(f"<!DOCTYPE html><body>{render_markdown(source).html}")
    for node in tree.body.traverse():
        assert node.tag not in EXECUTABLE, node.html
        for name, value in node.attributes.items():
            assert not name.lower().startswith("on"), node.html
            assert name.lower() != "style", node.html
            if name.lower() in {"href", "src", "action", "formaction", "xlink:href"}:
                scheme = "".join((value or "").split()).lower()
                assert not scheme.startswith(("javascript:", "vbscript:", "data:")), node.html
