"""Equation numbers, \\label, \\tag and \\eqref/\\ref, as a note's reader and editor meet them."""

from __future__ import annotations

from bs4 import BeautifulSoup

from notes.rendering import render_markdown
from notes.rendering.math.numbering import anchor_id, plan_equations, split_rows


def _html(source: str) -> BeautifulSoup:
    return BeautifulSoup(render_markdown(source).html, "html.parser")


def test_label_numbers_display_formulas_in_order() -> None:
    plan = plan_equations([r"a = b \label{eq:first}", r"c = d", r"e = f \label{eq:second}"])
    assert plan.labels == {"eq:first": "1", "eq:second": "2"}


def test_explicit_tag_names_its_label() -> None:
    plan = plan_equations([r"x = y \tag{A} \label{eq:a}"])
    assert plan.labels == {"eq:a": "A"}


def test_align_rows_are_numbered_except_nonumber() -> None:
    formula = r"\begin{align} a &= b \label{eq:a} \\ c &= d \nonumber \\ e &= f \end{align}"
    plan = plan_equations([formula])
    planned = plan.take(formula)
    assert planned.tex.count(r"\tag{") == 2
    assert r"\begin{align*}" in planned.tex
    assert plan.labels == {"eq:a": "1"}


def test_rows_split_only_at_their_own_line_breaks() -> None:
    rows = split_rows(r" a &= \begin{pmatrix} 1 \\ 2 \end{pmatrix} \\ b &= {x \\ y} ")
    assert len(rows) == 2


def test_duplicate_label_warns() -> None:
    plan = plan_equations([r"a \label{x}", r"b \label{x}"])
    assert plan.warnings == [r"Equation label used twice: \label{x}"]


def test_anchor_ids_drop_the_eq_prefix() -> None:
    assert anchor_id("eq:loss") == "eq-loss"
    assert anchor_id("损失 函数") == "eq-损失-函数"


def test_eqref_in_prose_links_to_the_numbered_equation() -> None:
    page = _html("由 \\eqref{eq:loss} 可得。\n\n$$L = -\\log p \\label{eq:loss}$$\n")
    link = page.find("a", class_="eqref")
    assert link.text == "(1)"
    assert link["href"] == "#eq-loss"
    target = page.find(id="eq-loss")
    assert target is not None and target.find("math") is not None
    assert target.find("mtext", class_="tml-tag").text == "(1)"


def test_ref_gives_the_bare_number() -> None:
    page = _html("See equation \\ref{eq:a}.\n\n$$a = b \\label{eq:a}$$\n")
    assert page.find("a", class_="eqref").text == "1"


def test_eqref_inside_math_becomes_the_number() -> None:
    page = _html("$$a = b \\label{eq:a}$$\n\nThen $x \\overset{\\eqref{eq:a}}{=} y$.\n")
    inline = page.find_all("math")[1]
    assert "(1)" in inline.find("mtext").text


def test_unknown_label_is_marked_and_reported() -> None:
    result = render_markdown("As \\eqref{eq:nowhere} shows.")
    page = BeautifulSoup(result.html, "html.parser")
    marker = page.find("span", class_="eqref-missing")
    assert marker.text == "(eq:nowhere?)"
    assert any("eq:nowhere" in warning for warning in result.warnings)


def test_reference_before_its_equation_resolves() -> None:
    """Papers often say "(3) below": the plan is made before any formula is converted."""
    page = _html("Below, \\eqref{eq:later}.\n\n$$x \\label{eq:later}$$\n")
    assert page.find("a", class_="eqref").text == "(1)"


def test_label_in_a_code_block_is_not_numbered() -> None:
    source = "```latex\n$$a \\label{eq:code}$$\n```\n\n$$b \\label{eq:real}$$\n\n\\eqref{eq:real}"
    assert _html(source).find("a", class_="eqref").text == "(1)"


def test_labelled_formula_keeps_its_source_in_the_annotation() -> None:
    page = _html("$$L = 1 \\label{eq:l}$$")
    assert page.find("annotation").text == "L = 1 \\label{eq:l}"


def test_display_formula_box_takes_keyboard_focus() -> None:
    box = _html("$$x^2$$").find("div", class_="math-display")
    assert box["tabindex"] == "0"


def test_punctuation_after_inline_math_stays_with_it() -> None:
    """No line may start with "，": the formula and its comma form one unbreakable unit."""
    glued = _html("设 $x_i$，则成立。").find("span", class_="math-inline")
    assert glued is not None and glued.find("math") is not None
    assert glued.text.endswith("，")


def test_punctuation_after_a_wrapping_formula_joins_its_last_row() -> None:
    """A formula that may wrap takes the comma into its last row, so it cannot be left alone
    at the start of a line either."""
    math = _html("若 $a = b + c$，则成立。").find("math")
    rows = math.find("mrow", class_="ms-wrap").find_all("mrow", recursive=False)
    assert rows[-1].find_all("mtext")[-1].text == "，"
