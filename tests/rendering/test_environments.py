"""LaTeX display environments written without "$$" (``\\begin{align}`` on a line of its own),
as papers write them: typeset and numbered exactly as inside "$$", never inside code, never raw
LaTeX without a warning, and shown like any display formula on cards and in excerpts."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from notes.rendering import render_markdown
from notes.rendering.excerpt import excerpt_html
from notes.rendering.plaintext import make_excerpt, plain_text
from tests.factories import make_note

ALIGN = "\\begin{align}\na &= b + c \\label{eq:a}\\\\\nd &= e^{i\\pi} + 1\n\\end{align}"

# Each environment with a body it takes, and the numbers LaTeX gives it.
ENVIRONMENTS = {
    "equation": (r"E = mc^2", ["(1)"]),
    "equation*": (r"E = mc^2", []),
    "align": (r"a &= b \\ c &= d", ["(1)", "(2)"]),
    "align*": (r"a &= b \\ c &= d", []),
    "gather": (r"a = b \\ c = d", ["(1)", "(2)"]),
    "gather*": (r"a = b \\ c = d", []),
    "multline": (r"a + b + c \\ + d + e", ["(1)"]),
    "multline*": (r"a + b + c \\ + d + e", []),
    "alignat": (r"{2} a &= b &\quad c &= d \\ e &= f &\quad g &= h", ["(1)", "(2)"]),
    "alignat*": (r"{2} a &= b &\quad c &= d \\ e &= f &\quad g &= h", []),
    "flalign": (r"a &= b \\ c &= d", ["(1)", "(2)"]),
    "flalign*": (r"a &= b \\ c &= d", []),
    "eqnarray": (r"a &=& b \\ c &=& d", ["(1)", "(2)"]),
    "eqnarray*": (r"a &=& b \\ c &=& d", []),
}


def page(source: str) -> BeautifulSoup:
    return BeautifulSoup(render_markdown(source).html, "html.parser")


def visible_text(soup: BeautifulSoup) -> str:
    """What a reader sees: the formulas' LaTeX (in <annotation>) left out."""
    for annotation in soup.find_all("annotation"):
        annotation.decompose()
    return soup.get_text()


def numbers(soup: BeautifulSoup) -> list[str]:
    return [tag.text for tag in soup.find_all("mtext", class_="tml-tag")]


def environment(name: str) -> str:
    body, _ = ENVIRONMENTS[name]
    return f"\\begin{{{name}}}{body}\n\\end{{{name}}}"


@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_each_environment_is_display_math_numbered_as_latex_numbers_it(name: str) -> None:
    source = f"Before.\n\n{environment(name)}\n\nAfter."
    result = render_markdown(source)
    assert result.warnings == ()
    soup = BeautifulSoup(result.html, "html.parser")
    (display,) = soup.find_all("div", class_="math-display")
    assert display.find("math")["display"] == "block"
    assert display.find("annotation").text == environment(name)
    assert numbers(soup) == ENVIRONMENTS[name][1]
    assert "\\begin" not in visible_text(soup)
    assert [p.text for p in soup.find_all("p")] == ["Before.", "After."]


@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_bare_environment_is_exactly_what_dollars_around_it_give(name: str) -> None:
    bare = f"Text.\n\n{environment(name)}\n\nMore text."
    wrapped = f"Text.\n\n$$\n{environment(name)}\n$$\n\nMore text."
    assert render_markdown(bare).html == render_markdown(wrapped).html


def test_environment_right_after_a_paragraph_line_and_indented_up_to_three_spaces() -> None:
    soup = page("Text just above.\n   \\begin{equation}x = 1\\end{equation}\nText just below.")
    assert numbers(soup) == ["(1)"]
    assert [p.text for p in soup.find_all("p")] == ["Text just above.", "Text just below."]


def test_eqref_across_bare_and_dollar_equations() -> None:
    source = "\n\n".join(
        [
            r"By \eqref{eq:last}, \eqref{eq:a} and \ref{eq:first}.",
            r"$$x = y \label{eq:first}$$",
            ALIGN,
            "\\begin{equation}\nz = w \\label{eq:mid}\n\\end{equation}",
            "$$\n\\begin{gather}\nu = v \\label{eq:last}\n\\end{gather}\n$$",
            r"Then \eqref{eq:mid}.",
        ]
    )
    soup = page(source)
    assert numbers(soup) == ["(1)", "(2)", "(3)", "(4)", "(5)"]
    links = [(a.text, a["href"]) for a in soup.find_all("a", class_="eqref")]
    assert links == [
        ("(5)", "#eq-last"),
        ("(2)", "#eq-a"),
        ("1", "#eq-first"),
        ("(4)", "#eq-mid"),
    ]
    # Each label's anchor is on its own formula.
    assert soup.find(id="eq-a").find("annotation").text == ALIGN
    assert soup.find(id="eq-mid").find("annotation").text.startswith("\\begin{equation}")


def test_eqref_inside_a_bare_environment_resolves() -> None:
    source = (
        "$$a = b \\label{eq:one}$$\n\n"
        "\\begin{align}\nc &= d \\text{ by } \\eqref{eq:one}\n\\end{align}"
    )
    result = render_markdown(source)
    assert result.warnings == ()
    soup = BeautifulSoup(result.html, "html.parser")
    assert numbers(soup) == ["(1)", "(2)"]
    texts = [m.text for m in soup.find_all("math")[1].find_all("mtext") if not m.get("class")]
    assert "(1)" in texts


def test_alignat_keeps_its_column_count_out_of_the_formula() -> None:
    soup = page(
        "\\begin{alignat}{2}\n"
        "x &= 1 &\\quad y &= 2 \\label{eq:xy}\\\\\n"
        "z &= 3 &\\quad w &= 4\n\\end{alignat}"
    )
    rows = soup.find("mtable").find_all("mtr", recursive=False)
    assert len(rows) == 2
    assert numbers(soup) == ["(1)", "(2)"]
    assert "{2}" not in visible_text(soup)
    assert soup.find(id="eq-xy") is not None


def test_starred_environments_take_no_number_and_leave_the_count_alone() -> None:
    source = "\n\n".join(
        [
            "\\begin{align*}\na &= b \\\\\nc &= d\n\\end{align*}",
            "\\begin{equation*}\ne = f\n\\end{equation*}",
            "\\begin{equation}\ng = h \\label{eq:g}\n\\end{equation}",
            r"See \eqref{eq:g}.",
        ]
    )
    soup = page(source)
    assert numbers(soup) == ["(1)"]
    assert soup.find("a", class_="eqref").text == "(1)"


def test_line_breaks_survive_markdown() -> None:
    """Markdown eats one backslash of "\\\\" in text: the environment never reaches it."""
    soup = page(ALIGN)
    assert soup.find("annotation").text == ALIGN
    assert "\\\\" in soup.find("annotation").text
    assert len(soup.find("mtable").find_all("mtr", recursive=False)) == 2


def test_one_line_environment_with_text_after_it() -> None:
    soup = page("\\begin{equation} a = b \\end{equation} where $a$ is given.")
    assert numbers(soup) == ["(1)"]
    assert soup.find("p").get_text().startswith("where")


# --- Never inside code ---------------------------------------------------------------------

CODE_SPAN = "Write `\\begin{align} a &= b \\end{align}` in LaTeX."
LINE_CODE_SPAN = "`\\begin{align} a &= b \\\\ c &= d \\end{align}` is what papers write."
FENCED = "```latex\n\\begin{align}\na &= b \\\\\nc &= d\n\\end{align}\n```"
INDENTED = "Code:\n\n    \\begin{align}\n    a &= b \\\\\n    c &= d\n    \\end{align}"


@pytest.mark.parametrize(
    "source",
    [CODE_SPAN, LINE_CODE_SPAN, FENCED, INDENTED],
    ids=["code span", "code span at line start", "fenced", "indented"],
)
def test_environment_in_code_stays_code(source: str) -> None:
    result = render_markdown(source + "\n\n\\begin{equation}\nx \\label{eq:x}\n\\end{equation}")
    soup = BeautifulSoup(result.html, "html.parser")
    code = soup.find("code")
    assert "\\begin{align}" in code.text
    assert "a &= b" in code.text
    # Only the equation after the code is math, and it is the note's first.
    assert len(soup.find_all("math")) == 1
    assert numbers(soup) == ["(1)"]
    assert result.warnings == ()


def test_code_keeps_both_backslashes() -> None:
    for source in (FENCED, INDENTED):
        code = page(source).find("code").text
        assert "a &= b \\\\\nc &= d" in code.replace("    ", "")


# --- Warnings ------------------------------------------------------------------------------


def test_unclosed_environment_stays_text_and_warns_at_its_line() -> None:
    source = "Intro.\n\nMore.\n\n\\begin{align}\na &= b \\\\\nc &= d\n\nThe end."
    result = render_markdown(source)
    (warning,) = result.warnings
    assert warning.startswith("\\begin{align} is never closed")
    assert warning.line == 5
    assert "The end." in result.html
    assert "<math" not in result.html


def test_environment_opened_again_before_it_closes_warns_and_the_second_is_typeset() -> None:
    source = "\\begin{equation}\na = b\n\n\\begin{equation}\nc = d\n\\end{equation}"
    result = render_markdown(source)
    (warning,) = result.warnings
    assert warning.line == 1
    soup = BeautifulSoup(result.html, "html.parser")
    assert numbers(soup) == ["(1)"]
    assert soup.find("annotation").text == "\\begin{equation}\nc = d\n\\end{equation}"


def test_unclosed_environment_after_a_closed_one_of_the_same_name_points_at_itself() -> None:
    source = f"{ALIGN}\n\nText.\n\n\\begin{{align}}\nx &= y\n"
    result = render_markdown(source)
    (warning,) = result.warnings
    assert warning.line == 8
    assert numbers(BeautifulSoup(result.html, "html.parser")) == ["(1)", "(2)"]


def test_refused_formula_warns_at_its_line_and_shows_its_source() -> None:
    source = "One.\n\nTwo.\n\n\\begin{align}\na &= \\frac{1}{\n\\end{align}\n\nThree."
    result = render_markdown(source)
    (warning,) = result.warnings
    assert warning.startswith("Formula not rendered")
    assert warning.line == 5
    soup = BeautifulSoup(result.html, "html.parser")
    assert "\\begin{align}" in soup.find("div", class_="math-error").find("code").text
    assert "Three." in soup.get_text()


def test_environments_temml_lacks_are_typeset_as_align() -> None:
    """eqnarray and flalign, which Temml does not know, are typeset as align."""
    result = render_markdown("\\begin{eqnarray}\nx &=& 1 \\nonumber \\\\\ny &=& 2\n\\end{eqnarray}")
    assert result.warnings == ()
    assert numbers(BeautifulSoup(result.html, "html.parser")) == ["(1)"]


# --- Cards, excerpts, plain text -----------------------------------------------------------

PROSE_AND_ALIGN = (
    f"先看损失函数的定义。\n\n{ALIGN}\n\n由 \\eqref{{eq:a}} 可得结论：损失随步数下降。"
)


def test_plain_text_and_excerpts_show_no_raw_latex() -> None:
    result = render_markdown(PROSE_AND_ALIGN)
    wrapped = render_markdown(PROSE_AND_ALIGN.replace(ALIGN, f"$$\n{ALIGN}\n$$"))
    for text in (
        result.excerpt,
        plain_text(result.html),
        make_excerpt(result.html),
        visible_text(BeautifulSoup(result.excerpt_html, "html.parser")),
        visible_text(BeautifulSoup(excerpt_html(result.html, language="en"), "html.parser")),
    ):
        assert "\\begin" not in text
        assert "\\label" not in text
        assert "(1)" in text  # the reference reads as its number
    assert (result.excerpt, result.excerpt_html) == (wrapped.excerpt, wrapped.excerpt_html)


def test_a_short_display_formula_reads_in_the_excerpt_like_a_dollar_one() -> None:
    source = "设 \n\n\\begin{equation*}x = 1\\end{equation*}\n\n则结论成立，这是正文的第一句话。"
    result = render_markdown(source)
    wrapped = render_markdown(source.replace("\\begin", "$$\\begin").replace("*}\n", "*}$$\n"))
    assert result.excerpt_html == wrapped.excerpt_html
    assert "\\begin" not in visible_text(BeautifulSoup(result.excerpt_html, "html.parser"))


@pytest.mark.django_db
def test_a_notes_card_and_stored_text_show_the_formula_not_its_source() -> None:
    note = make_note("对齐环境", body=PROSE_AND_ALIGN)
    assert "\\begin" not in note.excerpt
    assert "\\begin" not in visible_text(BeautifulSoup(note.excerpt_html, "html.parser"))
    assert "\\begin" not in visible_text(BeautifulSoup(note.body_html, "html.parser"))
    assert note.has_math
    assert note.render_warnings == []


def test_environment_inside_display_math_a_paragraph_opened_is_that_formulas() -> None:
    """ "Text $$" then the environment then "$$": one formula in the paragraph, as before."""
    source = f"The loss is $$\n{ALIGN}\n$$ as shown.\n\nBy \\eqref{{eq:a}}."
    result = render_markdown(source)
    assert result.warnings == ()
    soup = BeautifulSoup(result.html, "html.parser")
    (formula,) = soup.find_all("math")
    assert formula.find("annotation").text == ALIGN
    assert "$$" not in visible_text(soup)
    assert numbers(soup) == ["(1)", "(2)"]
    assert soup.find("a", class_="eqref").text == "(1)"


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("> 引文：\n>\n> \\begin{align}\n> a &= b \\\\\n> c &= d\n> \\end{align}\n", 3),
        ("- 一项\n\n    \\begin{align}\n    a &= b\n    \\end{align}\n", 3),
        ("由 \\begin{equation} x = 1 \\end{equation} 可知。", 1),
    ],
    ids=["quote", "list item", "after text"],
)
def test_environment_the_converter_cannot_take_is_warned_about_at_its_line(
    source: str, line: int
) -> None:
    """In a quote or a list item the LaTeX stays text (its prefixes are Markdown's): the
    editor hears of it, with the line, instead of finding raw LaTeX on the page."""
    result = render_markdown(source)
    assert "\\begin{" in visible_text(BeautifulSoup(result.html, "html.parser"))
    [warning] = result.warnings
    assert "is shown as text" in warning
    assert warning.line == line


def test_no_such_warning_for_typeset_or_coded_environments() -> None:
    for source in (ALIGN, f"`{ALIGN}`", f"```\n{ALIGN}\n```", f"$$\n{ALIGN}\n$$"):
        assert [w for w in render_markdown(source).warnings if "shown as text" in w] == []
