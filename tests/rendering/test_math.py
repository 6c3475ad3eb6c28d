"""Tests for notes.rendering.math: the LaTeX that notes on ML papers must typeset, the broken
input that must be refused with a message, and the allowlist every formula's markup keeps to.

How the formulas *look* is measured in a real browser in tests/rendering/test_math_layout.py.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from notes.rendering.math import (
    MATH_CLASSES,
    MATHML_TAGS,
    MathError,
    allowed_math_attribute,
    latex_to_mathml,
)
from notes.rendering.math.markup import MARKER_CLASSES, STYLE_CLASSES

VALID_CORPUS = [
    r"\frac{a}{b}",
    r"\sqrt[n]{x}",
    r"\sqrt{x^2+1}",
    r"x_i^2",
    r"x_{i,j}^{(t)}",
    r"\sum_{i=1}^{n} x_i",
    r"\prod_{k=1}^{K} p_k",
    r"\int_0^1 f(x)\,\mathrm{d}x",
    r"\int\limits_0^1 f(x)",
    r"\mathbb{R}^{n}",
    r"\mathcal{L}",
    r"\mathbf{x}",
    r"\mathrm{d}",
    r"\operatorname{softmax}(z)",
    r"\left( \frac{a}{b} \right)",
    r"\big( x \big)",
    r"\lVert x \rVert_2",
    r"\hat{y}",
    r"\tilde{x}",
    r"\bar{x}",
    r"\vec{v}",
    r"\overline{AB}",
    r"\underbrace{a+b}_{n}",
    r"\text{损失函数} = L",
    r"\begin{aligned} a &= b \\ c &= d \end{aligned}",
    r"f(x) = \begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}",
    r"\begin{pmatrix} a & b \\ c & d \end{pmatrix}",
    r"\begin{bmatrix} 1 & 0 \\ 0 & 1 \end{bmatrix}",
    r"A^\top",
    r"x_1, \dots, x_n",
    r"x_1, \ldots, x_n",
    r"x_1 + \cdots + x_n",
    r"\alpha \beta \gamma \delta \epsilon \varepsilon \theta \lambda \mu \pi \sigma \phi \omega",
    r"\Gamma \Delta \Theta \Lambda \Sigma \Phi \Omega",
    r"\mathbb{E}_{x\sim p}[f(x)]",
    r"\nabla_\theta J(\theta)",
    r"\log p",
    r"\exp(x)",
    r"\max_i x_i",
    r"\arg\max_\theta L",
    r"\operatorname*{arg\,max}_\theta L",
    r"a \le b \ge c \neq d \approx e \propto f \in g \sim h \to \infty",
    r"\partial x \cdot y \times z",
    r"a \quad b",
    r"a\,b",
    r"a\!b",
    r"\{ x \}",
    r"\|x\|",
    r"f'(x) + f''(x)",
    r"p(x \mid y)",
    r"\langle u, v \rangle",
    r"a \odot b",
    r"A \otimes B",
    r"\sigma(\cdot)",
    r"\mathsf{T}",
    r"\boldsymbol{\theta}",
    r"\tfrac{1}{2}",
    r"\dfrac{1}{2}",
    r"\binom{n}{k}",
    r"\overset{!}{=}",
    r"\underset{x}{\min}",
    r"\stackrel{\text{def}}{=}",
    r"A \xrightarrow{f} B",
    r"\begin{matrix} a & b \\ c & d \end{matrix}",
    r"\begin{array}{cc} a & b \\ c & d \end{array}",
    r"\begin{array}{c|c} a & b \\ \hline c & d \end{array}",
    r"\big\| x \big\|",
    r"a \\ b",
    # Realistic formulas from ML papers.
    r"\mathrm{Attention}(Q,K,V) = \mathrm{softmax}\left(\frac{QK^\top}{\sqrt{d_k}}\right)V",
    r"\operatorname{softmax}(z)_i = \frac{e^{z_i}}{\sum_{j=1}^{K} e^{z_j}}",
    r"D_{\mathrm{KL}}(P \| Q) = \sum_{x} P(x) \log \frac{P(x)}{Q(x)}",
    r"\log p_\theta(x) \ge \mathbb{E}_{q_\phi(z|x)}[\log p_\theta(x|z)]"
    r" - D_{\mathrm{KL}}(q_\phi(z|x) \| p(z))",
    r"L_{\text{simple}} = \mathbb{E}_{t, x_0, \epsilon}\left[ \| \epsilon - \epsilon_\theta"
    r"(\sqrt{\bar\alpha_t} x_0 + \sqrt{1-\bar\alpha_t}\epsilon, t) \|^2 \right]",
    r"L^{CLIP}(\theta) = \hat{\mathbb{E}}_t\left[\min\left(r_t(\theta)\hat{A}_t,"
    r" \operatorname{clip}(r_t(\theta), 1-\epsilon, 1+\epsilon)\hat{A}_t\right)\right]",
    r"W = W_0 + BA",
    r"\mathcal{L}_{\mathrm{CE}} = -\sum_{i} y_i \log \hat{y}_i",
]

# Display-only environments, numbered equations and the constructs Temml styles inline.
DISPLAY_CORPUS = [
    r"\begin{align} a &= b \\ c &= d \end{align}",
    r"\begin{align*} \mathcal{L} &= \mathbb{E}[\log p] \\ &\ge \mathbb{E}[\log q] \end{align*}",
    r"\begin{gather*} a = b \\ c = d \end{gather*}",
    r"E = mc^2 \tag{3}",
    r"\left[\begin{array}{c|c} a & b \\ \hline c & d \end{array}\right]",
    r"\begin{array}{|l|r|} a & b \\ \hline c & d \\ \hline \end{array}",
    r"\boxed{y = f(x)}",
    r"{\color{red} x} + \textcolor{blue}{y}",
    r"\widehat{xyz} + \widetilde{abc}",
    r"\begin{cases} x & x > 0 \\ -\alpha x & \text{otherwise} \end{cases}",
    r"\cancel{x} + \overbrace{a+b}^{n}",
    r"a \! b \negmedspace c \negthickspace d",
    r"\begin{smallmatrix} a & b \\ c & d \end{smallmatrix}",
    r"\mathscr{L} + \pmb{x}",
]

BROKEN_CORPUS = [
    r"\frac{a}{b",
    r"{x",
    r"x}",
    r"\foobar{x}",
    r"\begin{aligned} x",
    r"\end{aligned}",
    r"\begin{aligned} x \end{align}",
    r"\begin{foo} x \end{foo}",
    r"\left( x",
    r"x \right)",
    "",
    "   ",
    "^",
    "_",
    "x^",
    r"\frac{a}",
    r"\\frac{a}{b}",
    r"\\alpha + 1",
    r"a & b",
    "x^",
]

HOSTILE = [
    r"\href{javascript:alert(1)}{x}",
    r"\url{http://example.org}",
    r"\class{evil}{x}",
    r"\style{color:red}{x}",
    r"\htmlId{a}{x}",
    r"\unicode{x41}",
    r"\includegraphics{x.png}",
    r"\color{expression(alert(1))}{x}",
    r"\textcolor{#f00\" onload=\"x}{y}",
    r"\def\a{\a\a}\a",
]


class _Collector(HTMLParser):
    """Records every element, its attributes and the text directly inside it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[tuple[str, str]] = []
        self._stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self._stack and self._stack[-1] == tag, f"unbalanced </{tag}>"
        self._stack.pop()

    def handle_data(self, data: str) -> None:
        self.texts.append((self._stack[-1] if self._stack else "", data))


def _parse(markup: str) -> _Collector:
    collector = _Collector()
    collector.feed(markup)
    collector.close()
    return collector


def _text_in(markup: str, tag: str) -> str:
    return "".join(text for parent, text in _parse(markup).texts if parent == tag)


def _check_allowlist(markup: str) -> None:
    for tag, attrs in _parse(markup).elements:
        assert tag in MATHML_TAGS or (tag == "span" and set(attrs) == {"class"}), tag
        for name, value in attrs.items():
            if tag != "span":
                assert allowed_math_attribute(tag, name, value or ""), (tag, name, value)


@pytest.mark.parametrize("tex", VALID_CORPUS)
def test_valid_formula_produces_math_element(tex: str) -> None:
    out = latex_to_mathml(tex, display=True)
    assert out.startswith('<math display="block"')
    assert out.endswith("</math>")


@pytest.mark.parametrize("tex", VALID_CORPUS + DISPLAY_CORPUS)
def test_valid_formula_leaks_no_tex_command(tex: str) -> None:
    """Only the annotation holds LaTeX; no command is printed as text in the formula."""
    texts = [
        text
        for parent, text in _parse(latex_to_mathml(tex, display=True)).texts
        if parent != "annotation"
    ]
    assert not any(re.search(r"\\[a-zA-Z]", text) for text in texts), texts


@pytest.mark.parametrize("tex", VALID_CORPUS)
def test_annotation_keeps_the_original_source(tex: str) -> None:
    out = latex_to_mathml(tex, display=False)
    assert _text_in(out, "annotation") == tex


@pytest.mark.parametrize("display", [True, False])
@pytest.mark.parametrize("tex", VALID_CORPUS)
def test_output_stays_within_allowlist(tex: str, display: bool) -> None:
    _check_allowlist(latex_to_mathml(tex, display=display))


@pytest.mark.parametrize("tex", DISPLAY_CORPUS)
def test_display_constructs_stay_within_allowlist(tex: str) -> None:
    _check_allowlist(latex_to_mathml(tex, display=True))


@pytest.mark.parametrize("tex", VALID_CORPUS + DISPLAY_CORPUS)
def test_no_inline_style_reaches_the_page(tex: str) -> None:
    """The CSP forbids style attributes: Temml's are classes in math.css instead."""
    assert not re.search(r"\sstyle=", latex_to_mathml(tex, display=True))


def test_every_style_class_is_defined_in_math_css() -> None:
    from django.conf import settings

    css = (settings.BASE_DIR / "static" / "css" / "math.css").read_text()
    for name in MATH_CLASSES - MARKER_CLASSES:
        assert re.search(rf"\.{re.escape(name)}\b", css), name
    assert set(STYLE_CLASSES.values()) <= MATH_CLASSES


def test_array_rules_become_classes() -> None:
    out = latex_to_mathml(r"\begin{array}{c|c} a & b \\ \hline c & d \end{array}", display=True)
    assert "ms-rule-r" in out
    assert "ms-rule-b" in out


def test_color_becomes_mathcolor() -> None:
    out = latex_to_mathml(r"{\color{red} x}", display=False)
    assert 'mathcolor="#ff0000"' in out


def test_boxed_keeps_its_border() -> None:
    assert "ms-box" in latex_to_mathml(r"\boxed{x}", display=True)


def test_tag_is_kept_as_a_numbered_row() -> None:
    out = latex_to_mathml(r"E = mc^2 \tag{3}", display=True)
    assert 'class="tml-tag">(3)</mtext>' in out


def test_display_true_marks_block() -> None:
    assert latex_to_mathml("x", display=True).startswith('<math display="block"')


def test_display_false_marks_inline() -> None:
    assert latex_to_mathml("x", display=False).startswith("<math>")


def test_display_sum_has_limits_under_and_over() -> None:
    assert "<munderover>" in latex_to_mathml(r"\sum_{i=1}^{n} x_i", display=True)


def test_display_max_has_its_limit_under() -> None:
    assert "<munder>" in latex_to_mathml(r"\max_\theta L", display=True)


def test_inline_formula_breaks_into_rows_after_relations() -> None:
    """Temml's "wrap" rows let a long inline formula wrap on a phone."""
    out = latex_to_mathml(r"a = b + c = d", display=False)
    assert '<semantics><mrow class="ms-wrap">' in out
    assert out.count("<mrow>") == 4


def test_chinese_inside_text_survives_as_mtext() -> None:
    assert _text_in(latex_to_mathml(r"\text{损失函数} = L", display=False), "mtext") == "损失函数"


@pytest.mark.parametrize("tex", BROKEN_CORPUS)
def test_broken_formula_raises_math_error(tex: str) -> None:
    with pytest.raises(MathError):
        latex_to_mathml(tex, display=False)


@pytest.mark.parametrize("tex", BROKEN_CORPUS)
def test_broken_formula_message_is_readable(tex: str) -> None:
    """The editor reads the message in the admin: no JavaScript internals, no underlines."""
    with pytest.raises(MathError) as caught:
        latex_to_mathml(tex, display=False)
    message = str(caught.value)
    assert message and "Cannot read" not in message and "\u0332" not in message


@pytest.mark.parametrize("tex", HOSTILE)
def test_links_styles_and_macro_bombs_are_refused(tex: str) -> None:
    with pytest.raises(MathError):
        latex_to_mathml(tex, display=False)


def test_display_only_environment_inline_says_so() -> None:
    with pytest.raises(MathError, match="display mode"):
        latex_to_mathml(r"\begin{align} a &= b \end{align}", display=False)


def test_unknown_command_error_names_it() -> None:
    with pytest.raises(MathError, match=r"\\foobar"):
        latex_to_mathml(r"\foobar{x}", display=False)


def test_doubled_backslash_is_reported() -> None:
    with pytest.raises(MathError, match="doubled backslash"):
        latex_to_mathml(r"\\frac{a}{b}", display=False)


def test_non_string_input_raises_math_error() -> None:
    with pytest.raises(MathError):
        latex_to_mathml(None, display=True)  # type: ignore[arg-type]


def test_markup_inside_text_is_escaped() -> None:
    out = latex_to_mathml(r"\text{<script>alert(1)</script>}", display=False)
    assert "<script" not in out
    assert "script" not in {tag for tag, _ in _parse(out).elements}
    assert _text_in(out, "mtext") == "<script>alert(1)</script>"


def test_annotation_is_html_escaped() -> None:
    out = latex_to_mathml(r"a < b \text{ \& } c", display=False)
    assert "a &lt; b \\text{ \\&amp; } c</annotation>" in out


def test_sanitizer_refuses_unknown_classes_and_colors() -> None:
    assert not allowed_math_attribute("mi", "class", "tml-left evil")
    assert not allowed_math_attribute("mi", "mathcolor", "url(x)")
    assert not allowed_math_attribute("mi", "style", "color:red")
    assert not allowed_math_attribute("mi", "href", "https://example.org")
    assert allowed_math_attribute("mi", "mathcolor", "#ff0000")


def test_feed_markup_carries_the_math_styles_inline() -> None:
    """Feed readers have no math.css: array rules and boxes travel as inline styles there."""
    from notes.rendering.math.markup import inline_styles

    out = inline_styles(
        latex_to_mathml(r"\begin{array}{c|c} a & b \end{array} \boxed{x}", display=True)
    )
    assert "border-right:0.06em solid" in out
    assert "border:1px solid" in out


def test_a_process_that_typeset_math_exits_cleanly() -> None:
    """Left to the garbage collector at interpreter shutdown, V8 crashed the process (status
    -11): every management command and worker that rendered math failed on exit."""
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import notes.rendering.math as m; m.latex_to_mathml('x^2', display=True)",
        ],
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr.decode()[-500:]


def test_a_formula_typeset_before_is_not_typeset_again() -> None:
    """An import or `rerender_notes` meets the same formulas note after note: Temml runs once
    for each, and the second note gets the same MathML."""
    from unittest import mock

    from notes.rendering import math as notes_math

    tex = r"\sum_{i=1}^{n} w_i x_i + b_{\text{memo}}"
    notes_math._typeset.pop((tex, False, tex), None)
    with mock.patch(
        "notes.rendering.math.render_to_string", wraps=notes_math.render_to_string
    ) as typeset:
        first = notes_math.latex_to_mathml(tex, display=False)
        second = notes_math.latex_to_mathml(tex, display=False)
    assert typeset.call_count == 1
    assert second == first
