"""Search snippets with math, as a reader of /search/ sees them: the formula near the match is
typeset, a match inside a formula's LaTeX marks the whole formula, and tables keep their
cells apart."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup
from django.test import TestCase
from django.urls import reverse

from notes.rendering import RenderContext, render_markdown
from notes.rendering.plaintext import marked_text
from notes.search import parse
from notes.search.snippets import formulas_of, snippet
from tests.factories import make_note


def snippet_of(source: str, query: str) -> str:
    html = render_markdown(source, RenderContext()).html
    return str(snippet(marked_text(html), parse(query), formulas=formulas_of(html)))


def test_a_match_inside_latex_marks_the_whole_formula() -> None:
    shown = snippet_of(
        r"注意力权重为 $\mathrm{softmax}(QK^\top/\sqrt{d})$，再乘以 $V$。", "softmax"
    )
    soup = BeautifulSoup(shown, "html.parser")
    mark = soup.find("mark", class_="formula-match")
    assert mark is not None and mark.find("math") is not None
    # The MathML is whole: the formula's annotation is the LaTeX as written.
    assert mark.find("annotation").text == r"\mathrm{softmax}(QK^\top/\sqrt{d})"
    assert "[公式]" not in shown and "\ue002" not in shown


def test_a_match_in_prose_keeps_the_formula_next_to_it_typeset_and_whole() -> None:
    prose = "这是一段很长的铺垫文字。" * 6
    shown = snippet_of(prose + r"合并两个块时做修正：$m = \max(m_1, m_2)$，然后继续。", "修正")
    soup = BeautifulSoup(shown, "html.parser")
    assert soup.find("mark").text == "修正"
    math = soup.find("math")
    assert math is not None and math.find("annotation").text == r"m = \max(m_1, m_2)"
    assert "formula-match" not in shown


def test_a_window_edge_never_cuts_a_formula() -> None:
    long = r"\sum_{i=1}^{n} \alpha_i x_i + \beta \cdot \gamma_{jk} + \delta"
    for words in range(0, 60, 7):
        shown = snippet_of("填充" * words + f"关键词 ${long}$ 结尾。", "关键词")
        for formula in re.findall(r"<math\b.*?</math>", shown, re.S):
            assert formula.count("<annotation") == 1


def test_display_formulas_are_shown_inline_in_snippets() -> None:
    shown = snippet_of("匹配词在这里：\n\n$$E = mc^2$$\n\n之后。", "匹配词")
    assert "<math>" in shown and 'display="block"' not in shown


def test_table_cells_keep_their_rows_and_columns() -> None:
    source = "| 模型 | 速度 |\n|---|---|\n| GAN | 一步，快 |\n| 扩散 | 多步，慢 |"
    text = marked_text(render_markdown(source, RenderContext()).html)
    assert text == "模型 | 速度 / GAN | 一步，快 / 扩散 | 多步，慢"


class SearchPageTests(TestCase):
    def test_the_results_page_typesets_the_formula_and_loads_the_math_font(self) -> None:
        make_note(title="块注意力", body=r"合并两个块时做修正：$\mathrm{softmax}(x_i)$ 重新归一。")
        response = self.client.get(reverse("notes:search"), {"q": "softmax"})
        self.assertEqual(response.status_code, 200)
        page = response.content.decode()
        soup = BeautifulSoup(page, "html.parser")
        snippet_box = soup.find(class_="search-snippet")
        self.assertIsNotNone(snippet_box.find("mark", class_="formula-match").find("math"))
        self.assertRegex(page, r"css/math\.[0-9a-f]+\.css")
        self.assertNotIn("[公式]", page)
