"""Tests for notes.mathml: the LaTeX corpus that notes on ML papers must render, the broken
input that must be refused, and the tag/attribute allowlist used to sanitise rendered notes."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from notes.mathml import MATHML_ATTRIBUTES, MATHML_TAGS, MathError, latex_to_mathml

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
    r"\begin{align} a &= b \\ c &= d \end{align}",
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
    r"\genfrac{}{}{0pt}{}{a}{b}",
]

FORBIDDEN_TAGS = {"maction", "mglyph", "annotation-xml", "script", "style"}
FORBIDDEN_ATTRIBUTES = {"href", "xlink:href", "style", "src"}


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


@pytest.mark.parametrize("tex", VALID_CORPUS)
def test_valid_formula_produces_math_element(tex: str) -> None:
    out = latex_to_mathml(tex, display=True)
    assert out.startswith("<math ")
    assert out.endswith("</math>")


@pytest.mark.parametrize("tex", VALID_CORPUS)
def test_valid_formula_leaks_no_tex_command(tex: str) -> None:
    """The converter prints commands it does not know as text; none may survive."""
    collector = _parse(latex_to_mathml(tex, display=False))
    leaked = [text for parent, text in collector.texts if parent != "annotation" and "\\" in text]
    assert leaked == []


@pytest.mark.parametrize("tex", VALID_CORPUS)
def test_annotation_keeps_the_original_source(tex: str) -> None:
    out = latex_to_mathml(tex, display=False)
    assert _text_in(out, "annotation") == tex
    assert '<annotation encoding="application/x-tex">' in out


@pytest.mark.parametrize("display", [True, False])
@pytest.mark.parametrize("tex", VALID_CORPUS)
def test_output_stays_within_allowlist(tex: str, display: bool) -> None:
    for tag, attrs in _parse(latex_to_mathml(tex, display=display)).elements:
        assert tag in MATHML_TAGS, tag
        assert set(attrs) <= set(MATHML_ATTRIBUTES.get(tag, [])), (tag, attrs)


def test_allowlist_is_exactly_what_the_corpus_emits() -> None:
    """An unused allowlist entry widens what sanitising lets through for nothing; a missing
    one silently strips rendering. Keep the constants and the corpus in step."""
    tags: set[str] = set()
    attributes: dict[str, set[str]] = {}
    for tex in VALID_CORPUS:
        for display in (True, False):
            for tag, attrs in _parse(latex_to_mathml(tex, display=display)).elements:
                tags.add(tag)
                if attrs:
                    attributes.setdefault(tag, set()).update(attrs)
    assert tags == MATHML_TAGS
    assert attributes == {tag: set(names) for tag, names in MATHML_ATTRIBUTES.items()}


def test_allowlist_has_no_dangerous_tags() -> None:
    assert not MATHML_TAGS & FORBIDDEN_TAGS


def test_allowlist_has_no_dangerous_attributes() -> None:
    for names in MATHML_ATTRIBUTES.values():
        assert not set(names) & FORBIDDEN_ATTRIBUTES
        assert not [name for name in names if name.startswith("on") or ":" in name]


def test_allowlist_keeps_the_tex_annotation() -> None:
    assert {"semantics", "annotation"} <= MATHML_TAGS
    assert MATHML_ATTRIBUTES["annotation"] == ["encoding"]


def test_display_true_marks_block() -> None:
    assert latex_to_mathml("x", display=True).startswith(
        '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">'
    )


def test_display_false_marks_inline() -> None:
    assert 'display="inline"' in latex_to_mathml("x", display=False)


def test_display_puts_sum_limits_under_and_over() -> None:
    assert "<munderover>" in latex_to_mathml(r"\sum_{i=1}^{n} x_i", display=True)
    assert "<msubsup>" in latex_to_mathml(r"\sum_{i=1}^{n} x_i", display=False)


def test_chinese_inside_text_survives_as_mtext() -> None:
    out = latex_to_mathml(r"\text{损失函数} = -\log p", display=False)
    assert _text_in(out, "mtext") == "损失函数"


@pytest.mark.parametrize("tex", BROKEN_CORPUS)
def test_broken_formula_raises_math_error(tex: str) -> None:
    with pytest.raises(MathError):
        latex_to_mathml(tex, display=True)


def test_math_error_is_a_value_error() -> None:
    """Callers (form validation) may catch ValueError generically."""
    assert issubclass(MathError, ValueError)


def test_non_string_input_raises_math_error() -> None:
    with pytest.raises(MathError):
        latex_to_mathml(None, display=True)  # type: ignore[arg-type]


def test_markup_inside_text_is_escaped() -> None:
    """latex2mathml.convert() unescapes its own output; ours must not let tags through."""
    out = latex_to_mathml(r"\text{<script>alert(1)</script>}", display=False)
    assert "<script" not in out
    assert "script" not in {tag for tag, _ in _parse(out).elements}
    assert _text_in(out, "mtext") == "<script>alert(1)</script>"


def test_annotation_is_html_escaped() -> None:
    out = latex_to_mathml(r"a < b \text{ & } c", display=False)
    assert "a &lt; b \\text{ &amp; } c</annotation>" in out


@pytest.mark.parametrize(
    "tex", [r"\href{javascript:alert(1)}{x}", r"\style{color:red}{x}", r"\class{evil}{x}"]
)
def test_link_style_and_class_attributes_are_dropped(tex: str) -> None:
    for _tag, attrs in _parse(latex_to_mathml(tex, display=False)).elements:
        assert not {"href", "style", "class"} & set(attrs)


@pytest.mark.parametrize(
    ("tex", "expected"),
    [
        (r"\mathbb{R}", "\u211d"),
        (r"\mathbb{E}", "\U0001d53c"),
        (r"\mathcal{L}", "\u2112"),
        (r"\mathbf{x}", "\U0001d431"),
        (r"\boldsymbol{\theta}", "\U0001d73d"),
        (r"\mathbf{xy}", "\U0001d431\U0001d432"),
    ],
)
def test_styled_letters_become_unicode_math_alphanumerics(tex: str, expected: str) -> None:
    """MathML Core (Chromium) ignores mathvariant other than "normal"."""
    out = latex_to_mathml(tex, display=False)
    assert _text_in(out, "mi") == expected
    assert "mathvariant" not in out


@pytest.mark.parametrize("tex", VALID_CORPUS)
def test_corpus_uses_no_mathvariant_chromium_ignores(tex: str) -> None:
    for _tag, attrs in _parse(latex_to_mathml(tex, display=False)).elements:
        assert attrs.get("mathvariant", "normal") == "normal"


def test_mathrm_single_letter_stays_upright() -> None:
    """latex2mathml drops mathvariant for \\mathrm{d}, which would render an italic d."""
    out = latex_to_mathml(r"\mathrm{d}x", display=False)
    assert '<mi mathvariant="normal">d</mi><mi>x</mi>' in out


def test_mathrm_word_is_one_identifier() -> None:
    out = latex_to_mathml(r"\mathrm{softmax}(z)", display=False)
    assert "<mi>softmax</mi>" in out


def test_aligned_becomes_a_table() -> None:
    """latex2mathml renders ``aligned`` as a single row containing literal '&'."""
    out = latex_to_mathml(r"\begin{aligned} a &= b \\ c &= d \end{aligned}", display=True)
    assert out.count("<mtr>") == 2
    assert "<mi>&amp;</mi>" not in out


def test_align_is_not_numbered() -> None:
    """Numbers would restart at (1) in every formula on a page."""
    out = latex_to_mathml(r"\begin{align} a &= b \\ c &= d \end{align}", display=True)
    assert "(1)" not in _text_in(out, "mtext")


def test_top_level_line_break_stacks_rows() -> None:
    """<mspace linebreak> is ignored by Chromium, so rows would run together."""
    out = latex_to_mathml(r"a \\ b", display=True)
    assert out.count("<mtr>") == 2
    assert "linebreak" not in out


def test_operatorname_star_with_thin_space_is_one_operator() -> None:
    out = latex_to_mathml(r"\operatorname*{arg\,max}_\theta L", display=True)
    assert "<munder><mo>arg\u2009max</mo><mi>θ</mi></munder>" in out


def test_arg_is_an_operator() -> None:
    assert "<mo>arg</mo>" in latex_to_mathml(r"\arg\max_\theta L", display=False)


def test_sim_is_a_relation_not_a_tilde() -> None:
    out = latex_to_mathml(r"x \sim p", display=False)
    assert "<mo>\u223c</mo>" in out
    assert "~" not in _text_in(out, "mi")


def test_big_delimiter_command_is_resolved() -> None:
    """latex2mathml keeps "\\|" as the operator text after \\big."""
    out = latex_to_mathml(r"\big\| x \big\|", display=False)
    assert _text_in(out, "mo") == "‖‖"


def test_negative_space_uses_a_length() -> None:
    """MathML Core dropped named spaces such as "negativethinmathspace"."""
    assert '<mspace width="-0.167em">' in latex_to_mathml(r"a\!b", display=False)


def test_label_and_nonumber_are_ignored() -> None:
    out = latex_to_mathml(r"E = mc^2 \label{eq:energy} \nonumber", display=True)
    assert "label" not in out.split("<annotation")[0]


def test_unknown_command_error_names_it() -> None:
    with pytest.raises(MathError, match="foobar"):
        latex_to_mathml(r"\foobar{x}", display=False)
