"""The research extensions to the Markdown pipeline: math, what is not math, the sanitizer."""

from __future__ import annotations

import pytest

from tests.rendering.markdown_tree import math_elements, render, tree

# --- Math: delimiters -----------------------------------------------------------------

INLINE_SOURCES = {
    "dollar": r"The rank is $r \ll d$ here.",
    "paren": r"The rank is \(r \ll d\) here.",
}
DISPLAY_SOURCES = {
    "double dollar": r"$$h = W_0 x + B A x$$",
    "bracket": r"\[h = W_0 x + B A x\]",
}


@pytest.mark.parametrize("source", INLINE_SOURCES.values(), ids=INLINE_SOURCES.keys())
def test_inline_math_renders_as_inline_mathml(source: str) -> None:
    (math,) = math_elements(source)
    assert math.attrs.get("display", "inline") == "inline"


@pytest.mark.parametrize("source", INLINE_SOURCES.values(), ids=INLINE_SOURCES.keys())
def test_inline_math_stays_inside_its_sentence(source: str) -> None:
    (paragraph,) = tree(render(source).html).find_all("p")
    assert paragraph.find_all("math")
    assert paragraph.text.startswith("The rank is ")
    assert paragraph.text.endswith(" here.")


@pytest.mark.parametrize("source", DISPLAY_SOURCES.values(), ids=DISPLAY_SOURCES.keys())
def test_display_math_renders_as_block_mathml(source: str) -> None:
    (math,) = math_elements(source)
    assert math.attrs["display"] == "block"


@pytest.mark.parametrize(
    "opener, closer", [("$$", "$$"), ("\\[", "\\]")], ids=["dollar", "bracket"]
)
def test_multiline_display_math_with_markdown_like_lines_is_one_formula(
    opener: str, closer: str
) -> None:
    """Blank lines, "- x", "+ y" and "> z" inside a display block belong to the formula, not
    to Markdown: no list, no quote, no paragraph split."""
    source = f"Before.\n\n{opener}\na = b\n\n- c\n+ d\n> e\n{closer}\n\nAfter."
    root = tree(render(source).html)
    (math,) = root.find_all("math")
    assert math.attrs["display"] == "block"
    assert not root.find_all("ul") and not root.find_all("blockquote")
    assert [p.text for p in root.find_all("p")] == ["Before.", "After."]


def test_formula_keeps_its_latex_source_in_a_tex_annotation() -> None:
    """The source travels with the MathML, so copy-paste and assistive tech can use it."""
    (math,) = math_elements(r"Scale by $\frac{1}{\sqrt{d_k}}$.")
    (annotation,) = math.find_all("annotation")
    assert annotation.attrs["encoding"] == "application/x-tex"
    assert annotation.text == r"\frac{1}{\sqrt{d_k}}"


def test_markdown_emphasis_characters_inside_math_are_not_emphasis() -> None:
    rendered = render(r"$a_1 * b_2 * c$").html
    assert "<em>" not in rendered and "<strong>" not in rendered
    (annotation,) = tree(rendered).find_all("annotation")
    assert annotation.text == "a_1 * b_2 * c"


# --- Math: what is not math -----------------------------------------------------------


def test_dollars_in_an_inline_code_span_stay_code() -> None:
    root = tree(render("Write `$x$` for math.").html)
    assert not root.find_all("math")
    assert [code.text for code in root.find_all("code")] == ["$x$"]


def test_dollars_in_a_fenced_code_block_stay_code() -> None:
    root = tree(render("```\n$x$ and $$y$$\n\\(z\\)\n```").html)
    assert not root.find_all("math")
    assert "$x$ and $$y$$\n\\(z\\)" in root.find_all("code")[0].text


PRICES = {
    "chinese": "价格从 $5 到 $10 不等",
    "english": "It costs $5 to $10 per run.",
}


@pytest.mark.parametrize("source", PRICES.values(), ids=PRICES.keys())
def test_prices_are_not_math(source: str) -> None:
    result = render(source)
    assert "<math" not in result.html
    assert tree(result.html).text.strip() == source


def test_escaped_dollar_renders_a_literal_dollar_without_backslash() -> None:
    result = render(r"Use \$x\$ to write math.")
    assert "<math" not in result.html
    assert tree(result.html).text.strip() == "Use $x$ to write math."


# --- Math: broken formulas ------------------------------------------------------------

BROKEN = {
    "unbalanced brace": r"Scale $\frac{1}{2$ then",
    "unknown macro": r"Scale $\foobar{x}$ then",
    "unclosed aligned": "Scale\n\n$$\n\\begin{aligned}\na &= b \\\\\nc &= d\n$$\n\nthen",
}


@pytest.mark.parametrize("source", BROKEN.values(), ids=BROKEN.keys())
def test_broken_formula_shows_its_source_in_a_math_error_element(source: str) -> None:
    """The reader sees what the author typed (not a blank), marked as an error."""
    root = tree(render(source).html)
    (error,) = root.find_all(cls="math-error")
    tex_line = next(line for line in source.splitlines() if "\\" in line)
    assert tex_line.removeprefix("Scale ").removesuffix(" then") in error.text


@pytest.mark.parametrize("source", BROKEN.values(), ids=BROKEN.keys())
def test_broken_formula_does_not_stop_the_rest_of_the_note(source: str) -> None:
    text = tree(render(source).html).text
    assert "Scale" in text
    assert "then" in text


@pytest.mark.parametrize("source", BROKEN.values(), ids=BROKEN.keys())
def test_broken_formula_warns_the_editor(source: str) -> None:
    warnings = render(source).warnings
    assert any(w.startswith("Formula not rendered") for w in warnings)


# --- Math: the sanitizer --------------------------------------------------------------

RAW_MATHML = {
    "attributes and maction": (
        '<math><mi href="javascript:alert(1)" style="color:red" onclick="alert(2)">x</mi>'
        '<maction actiontype="statusline">y<mtext>z</mtext></maction></math>'
    ),
    "annotation-xml with script": (
        '<math><annotation-xml encoding="text/html"><script>alert(1)</script>'
        "</annotation-xml></math>"
    ),
    "inline in a paragraph": (
        'Text <math><mi href="javascript:alert(1)" onmouseover="alert(2)">x</mi></math> more.'
    ),
}


@pytest.mark.parametrize("source", RAW_MATHML.values(), ids=RAW_MATHML.keys())
def test_raw_mathml_loses_links_styles_and_event_handlers(source: str) -> None:
    rendered = render(source).html
    assert "javascript:" not in rendered
    for node in tree(rendered).find_all():
        assert not {"href", "style"} & node.attrs.keys(), node
        assert not any(name.startswith("on") for name in node.attrs), node


@pytest.mark.parametrize("source", RAW_MATHML.values(), ids=RAW_MATHML.keys())
def test_raw_mathml_loses_disallowed_elements(source: str) -> None:
    rendered = render(source).html
    assert "<script" not in rendered
    tags = {node.tag for node in tree(rendered).find_all()}
    assert not tags & {"maction", "annotation-xml", "script"}


def test_allowed_raw_mathml_still_shows() -> None:
    """Stripping is surgical: the harmless <mi> an editor typed keeps its letter."""
    (mi,) = tree(render(RAW_MATHML["attributes and maction"]).html).find_all("mi")
    assert mi.text == "x"


def test_html_inside_a_text_macro_is_shown_as_text_not_run() -> None:
    rendered = render(r"$\text{<script>alert(1)</script>}$").html
    assert "<script" not in rendered
    mtext = tree(rendered).find_all("mtext")
    assert [node.text for node in mtext] == ["<script>alert(1)</script>"]


def test_chinese_inside_a_text_macro_survives() -> None:
    mtext = tree(render(r"$\text{损失} = -\log p$").html).find_all("mtext")
    assert [node.text for node in mtext] == ["损失"]


MATH_CONTAINERS = {
    "heading": ("## Loss $\\mathcal{L}$", "h2"),
    "table cell": ("| a | b |\n|---|---|\n| $x^2$ | y |", "td"),
    "list item": ("- first $\\alpha$\n- second", "li"),
}


@pytest.mark.parametrize("source, container", MATH_CONTAINERS.values(), ids=MATH_CONTAINERS.keys())
def test_math_renders_inside_markdown_structures(source: str, container: str) -> None:
    (math,) = math_elements(source)
    assert container in {node.tag for node in math.ancestors()}
