"""Formulas as plain Unicode text, for meta descriptions, feeds, titles and the admin list:
readable where text can carry them, their ``$…$`` source where it cannot."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notes.rendering.mathtext import formula_text, formula_text_or_source

READABLE = [
    # Letters, Greek, operators and relations
    (r"E = mc^2", "E = mc²"),
    (r"\alpha_n \approx 0.076", "αₙ ≈ 0.076"),
    (r"O(n)", "O(n)"),
    (r"\alpha x", "αx"),
    (r"\alpha = 1", "α = 1"),
    (r"a \cdot b", "a · b"),
    (r"x \leq y", "x ≤ y"),
    (r"a \neq b", "a ≠ b"),
    (r"a \times b", "a × b"),
    (r"\infty", "∞"),
    (r"\nabla f", "∇f"),
    (r"\theta_{t+1} = \theta_t - \eta \nabla L", "θₜ₊₁ = θₜ - η ∇L"),
    (r"e^{i\pi} + 1 = 0", "e^(iπ) + 1 = 0"),
    # Sub- and superscripts
    (r"x_{ij}^{(k)}", "xᵢⱼ⁽ᵏ⁾"),
    (r"W^\top x", "Wᵀx"),
    (r"A^{-1}", "A⁻¹"),
    (r"x_q", "x_q"),
    (r"\max_\theta f(\theta)", "max_θ f(θ)"),
    (r"x_{\text{max}}", "xₘₐₓ"),
    # Fractions and roots
    (r"\frac{a}{b}", "a/b"),
    (r"\frac{a+b}{c+d}", "(a+b)/(c+d)"),
    (r"\frac{a}{2b}", "a/(2b)"),
    (r"\frac{\partial L}{\partial w}", "∂L/∂w"),
    (r"\frac{\mathrm{d}y}{\mathrm{d}x}", "dy/dx"),
    (r"\sigma(z) = \frac{1}{1 + e^{-z}}", "σ(z) = 1/(1 + e⁻ᶻ)"),
    (r"\frac{-b \pm \sqrt{b^2 - 4ac}}{2a}", "(-b ± √(b² - 4ac))/(2a)"),
    (r"\sqrt{x}", "√x"),
    (r"\sqrt{x+1}", "√(x+1)"),
    (r"\sqrt[3]{x}", "³√x"),
    (r"\frac{QK^T}{\sqrt{d_k}}", "QKᵀ/√dₖ"),
    # Big operators with limits
    (r"\sum_i x_i", "∑ᵢ xᵢ"),
    (r"\sum_{i=1}^{n} x_i", "∑ᵢ₌₁ⁿ xᵢ"),
    (r"\prod_{k=1}^{K} p_k", "∏ₖ₌₁ᴷ pₖ"),
    (r"\int_0^1 f(x)\,dx", "∫₀¹ f(x) dx"),
    (r"\int_0^\infty e^{-x} dx", "∫₀^∞ e⁻ˣ dx"),
    (r"\sum_{i \in S} x_i", "∑_(i∈S) xᵢ"),
    (r"\lim_{n \to \infty} a_n", "lim_(n→∞) aₙ"),
    # Fonts
    (r"\mathbb{R}^d", "ℝᵈ"),
    (r"x \in \mathbb{R}^{n \times d}", "x ∈ ℝ^(n×d)"),
    (r"\mathcal{L}(\theta)", "ℒ(θ)"),
    (r"\mathcal{O}(n \log n)", "𝒪(n log n)"),
    (r"\mathrm{softmax}(x)", "softmax(x)"),
    (r"\operatorname{softmax}(z)_i", "softmax(z)ᵢ"),
    (r"\mathbb{E}[X]", "𝔼[X]"),
    (r"\mathbb{1}[y = k]", "𝟙[y = k]"),
    (r"\text{if } x > 0", "if x > 0"),
    # Accents
    (r"\hat{y}", "ŷ"),
    (r"\hat{y}_i", "ŷᵢ"),
    (r"\tilde{x}", "x̃"),
    (r"\bar{x}", "x̅"),
    (r"\vec{v}", "v⃗"),
    # Delimiters and norms
    (r"\left( x \right)", "(x)"),
    (r"\mathrm{softmax}\left(\frac{QK^\top}{\sqrt{d}}\right)V", "softmax(QKᵀ/√d)V"),
    (r"\|x\|_2^2", "‖x‖₂²"),
    (r"\left\| x \right\|", "‖x‖"),
    (r"\langle a, b \rangle", "⟨a, b⟩"),
    (r"\left. f \right|_0", "f|₀"),
    # Named functions
    (r"\log x", "log x"),
    (r"\log(x)", "log(x)"),
    (r"\exp(-x^2)", "exp(-x²)"),
    (r"\sin\theta", "sin θ"),
    # Arrows and logic
    (r"x \to \infty", "x → ∞"),
    (r"f: X \to Y", "f: X → Y"),
    (r"A \Rightarrow B", "A ⇒ B"),
    (r"x \mapsto x^2", "x ↦ x²"),
    (r"p \iff q", "p ⟺ q"),
    # Sets
    (r"\{x \mid x > 0\}", "{x | x > 0}"),
    (r"A \cup B \subseteq C", "A ∪ B ⊆ C"),
    (r"\mathbb{N} \subset \mathbb{Z}", "ℕ ⊂ ℤ"),
    (r"x \notin \emptyset", "x ∉ ∅"),
    (r"p(y \mid x)", "p(y | x)"),
    # Equation numbers and labels belong to the page, not the text
    (r"L = -\log p \tag{2.1}", "L = -log p"),
    (r"a = b \label{eq:ab}", "a = b"),
    # Whitespace collapses
    ("a  +\n  b", "a + b"),
]

FALLBACK = [
    r"\begin{pmatrix} a & b \\ c & d \end{pmatrix}",
    r"\begin{aligned} a &= b \\ c &= d \end{aligned}",
    r"\frac{\frac{a}{b}}{c}",
    r"e^{-\frac{x^2}{2}}",
    r"x^{\frac{1}{2}}",
    r"\frac{e^{z_i}}{\sum_j e^{z_j}}",
    r"x^{2^n}",
    r"\hat{x_i}",
    r"a \\ b",
    r"\binom{n}{k}",
    r"\undefinedmacro{x}",
    r"x_{\text{a long name}}",
]

GARBAGE = [
    "\\frac{",
    "}}}",
    "{{{",
    "\\undefinedmacro{x}",
    "x^",
    "_",
    "\\",
    "\\left(",
    "\\left( x \\right",
    "\\sqrt{}",
    "{}",
    "x^{}",
    "\\begin{matrix}",
    "\\end{matrix}",
    "$x$",
    "a & b",
    "%",
    "\\frac{1}",
    "\\text{",
    "^^^",
    "\\mathbb{",
    "{" * 500 + "x" + "}" * 500,
]


@pytest.mark.parametrize(("tex", "expected"), READABLE, ids=[tex for tex, _ in READABLE])
def test_readable_formulas_become_unicode(tex: str, expected: str) -> None:
    assert formula_text(tex) == expected
    assert formula_text_or_source(tex) == (expected, True)


@pytest.mark.parametrize("tex", FALLBACK)
def test_what_text_cannot_carry_keeps_its_source(tex: str) -> None:
    assert formula_text(tex) == f"${tex}$"
    assert formula_text_or_source(tex) == (f"${tex}$", False)


def test_the_fallback_strips_and_collapses_whitespace() -> None:
    tex = "  \\begin{matrix}\n  a & b \\\\\n  c & d\n\\end{matrix} "
    assert formula_text(tex) == r"$\begin{matrix} a & b \\ c & d \end{matrix}$"


@pytest.mark.parametrize("tex", GARBAGE)
def test_garbage_never_raises_and_never_reads_empty(tex: str) -> None:
    text = formula_text(tex)
    assert text.strip()
    assert "\\" not in text or (text.startswith("$") and text.endswith("$"))


def test_blank_input_reads_blank() -> None:
    assert formula_text("") == ""
    assert formula_text(" \n ") == ""


@pytest.mark.parametrize("tex", [tex for tex, _ in READABLE])
def test_readable_text_has_no_backslash_or_dollar(tex: str) -> None:
    text = formula_text(tex)
    assert "\\" not in text and "$" not in text
    assert text == " ".join(text.split())


_LATEXISH = st.lists(
    st.sampled_from(
        [
            *"xyab12 +-=()[]{}^_&$%#~'|,.",
            r"\frac",
            r"\sqrt",
            r"\alpha",
            r"\left",
            r"\right",
            r"\mathbb",
            r"\hat",
            r"\begin{matrix}",
            r"\end{matrix}",
            r"\\",
            r"\text",
            r"\sum",
            r"\foo",
            "\n",
        ]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(_LATEXISH)
def test_any_input_reads_as_text_or_its_source(tex: str) -> None:
    text, readable = formula_text_or_source(tex)
    if not tex.strip():
        assert text == ""
    elif readable:
        assert text and "\\" not in text and text == " ".join(text.split())
    else:
        assert text == "$" + " ".join(tex.split()) + "$"


def test_repeated_formulas_are_cached() -> None:
    tex = r"\sum_{i=1}^{n} \frac{x_i}{n} + 42"
    formula_text(tex)
    start = time.perf_counter()
    for _ in range(1000):
        formula_text(tex)
    assert time.perf_counter() - start < 0.05
    assert formula_text_or_source.cache_info().maxsize == 4096
