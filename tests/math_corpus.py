# ruff: noqa: E501 (formulas are kept on one line each, as an editor types them)
"""Formulas typical of ML papers, grouped by what a reader would see go wrong.

Each entry names the measurement ``tests/rendering/test_math_layout.py`` makes on it in Chromium; the
groups follow the defects found against Temml, the reference converter: columns that do not
line up, limits beside their operator, small display operators, short delimiters, loose
primes, invisible accents, tags glued to formulas, missing rules and boxes, and spacing.
"""

from __future__ import annotations

# Rows whose "=" (or relation) must line up.
ALIGNED = [
    r"\begin{aligned} \mathcal{L}(\theta) &= \mathbb{E}_{x\sim p}\left[\log p_\theta(x)\right] \\ &\ge \mathbb{E}_{q}\left[\log \frac{p(x,z)}{q(z)}\right] \end{aligned}",
    r"\begin{aligned} a &= b + c \\ d + e + f &= g \end{aligned}",
    r"\begin{align*} x_t &= \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon \\ \hat{x}_0 &= \frac{x_t - \sqrt{1-\bar\alpha_t}\,\epsilon_\theta}{\sqrt{\bar\alpha_t}} \end{align*}",
    r"\begin{align*} Q &= XW_Q & K &= XW_K \\ V &= XW_V & O &= \mathrm{softmax}(QK^\top)V \end{align*}",
    r"\begin{aligned} f(x) &= (x+1)^2 \\ &= x^2 + 2x + 1 \\ &\approx x^2 \end{aligned}",
    r"\begin{align*} \nabla_\theta J &= \mathbb{E}\left[\sum_t \nabla_\theta \log \pi_\theta(a_t|s_t) A_t\right] \\ A_t &= r_t + \gamma V(s_{t+1}) - V(s_t) \end{align*}",
]
# The second column of cases starts at one x.
CASES = [
    r"f(x) = \begin{cases} x & x > 0 \\ -\alpha x & \text{otherwise} \end{cases}",
    r"\mathrm{clip}(r) = \begin{cases} 1-\epsilon & r < 1-\epsilon \\ r & \text{else} \\ 1+\epsilon & r > 1+\epsilon \end{cases}",
    r"\delta_{ij} = \begin{cases} 1 & i = j \\ 0 & i \neq j \end{cases}",
]
# Display limits sit under their operator (also inside \sqrt and \left( \right)).
LIMITS = [
    r"\max_{\theta} \log p(x)",
    r"\min_{G} \max_{D} V(D, G)",
    r"\lim_{t \to \infty} f(t)",
    r"\arg\max_{\pi} J(\pi)",
    r"\operatorname*{arg\,min}_{w} \lVert Xw - y \rVert^2",
    r"\sum_{i=1}^{n} x_i",
    r"\prod_{k=1}^{K} p_k",
    r"\sqrt{\sum_{i=1}^{n} x_i^2}",
    r"\left( \sum_{j=1}^{K} e^{z_j} \right)",
    r"\mathbb{E}\left[\max_{a} Q(s, a)\right]",
    r"\bigcup_{i \in I} A_i",
]
# Display ∫ and ∑ are taller than the same operator inline.
LARGE_OPERATORS = [r"\int_0^1 f(x)\,dx", r"\sum_{i=1}^{n} i", r"\prod_{i} a_i", r"\oint_C F"]
# A stretchy delimiter is as tall as what it encloses; the two sides match.
DELIMITERS = [
    r"\left( \frac{a}{b} \right)",
    r"\left[ \frac{QK^\top}{\sqrt{d_k}} \right]",
    r"\left\lVert \frac{a}{b} \right\rVert",
    r"\left\{ \frac{1}{2} \right\}",
    r"\left| \frac{\partial f}{\partial x} \right|",
    r"\left\langle \frac{u}{v} \right\rangle",
]
PAIRED_BARS = [r"\left\lVert \frac{a}{b} \right\rVert", r"\left| \frac{x^2}{y} \right|"]
# A prime sits beside its base.
PRIMES = [r"f'(x)", r"f''(x)", r"y' = 2x", r"g'(t)"]
# Accents are visible and above their base; wide ones span it.
ACCENTS = [r"\bar{x}", r"\hat{y}", r"\tilde{x}", r"\vec{v}", r"\dot{x}", r"\ddot{x}"]
WIDE_ACCENTS = [r"\widehat{xyz}", r"\widetilde{abc}", r"\widehat{AB}", r"\widetilde{x_1 y}"]
# Over- and underlines are drawn across their whole base.
LINES = [r"\overline{AB}", r"\overline{x+y}", r"\underline{abc}"]
ACCENT_IN_RADICAL = [r"\sqrt{\bar{x}}", r"\sqrt{1-\bar{\alpha}_t}"]
# \tag and numbered equations: the number at the right edge, clear of the formula.
TAGS = [r"E = mc^2 \tag{3}", r"\mathcal{L} = -\log p(x) \tag{A.1}"]
# Arrows with labels stretch over their label.
ARROWS = [
    r"A \xrightarrow{\text{softmax}} B",
    r"x \xrightarrow{f \circ g} y",
    r"a \xleftarrow{n} b",
]
# Rules of arrays are drawn.
ARRAYS = [
    r"\left[\begin{array}{c|c} a & b \\ \hline c & d \end{array}\right]",
    r"\begin{array}{|l|r|} \hline x & 1 \\ \hline y & 2 \\ \hline \end{array}",
]
COLORS = [r"{\color{red} x} + y", r"\textcolor{red}{z}"]
BOXES = [r"\boxed{y = f(x)}", r"\fbox{x}"]
# Capital Greek is upright, as TeX sets it.
UPRIGHT_GREEK = [r"\Gamma", r"\Delta", r"\Omega", r"\Sigma", r"\Phi"]
# Spacing: an operator name is followed by a space; unary minus is tighter than binary.
OPERATOR_NAMES = [r"\log x", r"\cos \theta", r"\exp z", r"\operatorname{softmax} z", r"\det A"]
SPACING_PAIRS = [(r"-x", r"a - x"), (r"+y", r"a + y")]

CORPUS_SIZE = (
    len(ALIGNED) + len(CASES) + len(LIMITS) + len(LARGE_OPERATORS) + len(DELIMITERS)
    + len(PAIRED_BARS) + len(PRIMES) + len(ACCENTS) + len(WIDE_ACCENTS) + len(ACCENT_IN_RADICAL)
    + len(LINES) + len(TAGS) + len(ARROWS) + len(ARRAYS) + len(COLORS) + len(BOXES) + len(UPRIGHT_GREEK)
    + len(OPERATOR_NAMES) + 2 * len(SPACING_PAIRS)
)  # fmt: skip
