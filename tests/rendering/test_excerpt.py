"""Excerpts as HTML, as cards and search results show them: math, code and tables survive the
shortening, and the cut never breaks a formula, a tag or a word."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from notes.rendering import RenderContext, render_markdown
from notes.rendering.excerpt import excerpt_html, text_units
from notes.rendering.sanitize import sanitize_html


def rendered(source: str) -> str:
    return render_markdown(source, RenderContext()).html


def excerpt(source: str, language: str = "zh-Hans") -> str:
    return excerpt_html(rendered(source), language=language)


def text_of(html: str) -> str:
    soup = BeautifulSoup(html, "html.parser")
    for annotation in soup.find_all("annotation"):
        annotation.decompose()
    return soup.get_text()


def test_inline_formula_is_the_same_mathml_the_page_shows() -> None:
    source = r"先算 $\phi(K)^\top V$ 得到 $d\times d$ 矩阵。"
    page = rendered(source)
    shown = excerpt(source)
    formulas = re.findall(r"<math\b.*?</math>", page, re.S)
    assert len(formulas) == 2
    for formula in formulas:
        assert formula in shown
    assert "[公式]" not in shown and "[formula]" not in shown


def test_short_display_formula_reads_inline() -> None:
    shown = excerpt("损失函数为\n\n$$L = \\|x - y\\|^2$$\n\n其中 $x$ 是输入。")
    assert 'display="block"' not in shown
    assert "<math>" in shown and r"\|x - y\|^2" in shown
    assert "其中" in shown


def test_long_display_formula_ends_the_excerpt_before_it() -> None:
    long_tex = r"\mathcal{L}(\theta) = \mathbb{E}_{x\sim p_{\text{data}}}\left[\sum_{t=1}^{T}" + (
        r"\log p_\theta(x_t \mid x_{<t}) + \lambda \|\theta\|_2^2\right]"
    )
    prose = "这是一段足够长的介绍文字，用来说明模型的目标函数和它的来历。" * 2
    shown = excerpt(f"{prose}\n\n$${long_tex}$$\n\n后面的文字不该出现。")
    assert shown.endswith("…")
    assert "<math" not in shown and "后面的文字" not in shown
    assert "介绍文字" in shown


def test_code_stays_code_and_a_table_is_named() -> None:
    source = "调用 `torch.compile` 即可。\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n表后的话。"
    shown = excerpt(source)
    assert "<code>torch.compile</code>" in shown
    assert "表格" in shown and "1 2" not in text_of(shown)
    assert "表后的话" in shown
    assert "(table)" in excerpt(source.replace("调用", "Call").replace("即可", "now"), "en")


def test_headings_code_blocks_and_figures_are_left_out() -> None:
    source = "## 标题\n\n```python\nprint(1)\n```\n\n正文在这里。"
    shown = excerpt(source)
    assert text_of(shown) == "正文在这里。"


def test_long_english_prose_is_cut_on_a_word_near_sixty_words() -> None:
    words = [f"word{i}" for i in range(200)]
    shown = excerpt(" ".join(words) + ".", "en")
    assert shown.endswith("…")
    kept = text_of(shown).rstrip("…").split()
    assert kept == words[: len(kept)]  # whole words, in order
    assert 55 <= len(kept) <= 60


def test_long_chinese_prose_ends_at_a_sentence_when_one_is_near() -> None:
    sentence = "扩散模型把生成拆成许多小步的去噪过程，每一步都很简单。"  # 26 characters
    shown = excerpt(sentence * 10)
    assert shown.endswith("。") and not shown.endswith("…")
    assert 80 <= text_units(text_of(shown)) <= 120


def test_an_excerpt_is_a_fixed_point_of_the_sanitizer() -> None:
    source = r"含 **粗体** 与 $\frac{a}{b}$ 和 `code`。<script>alert(1)</script>" * 8
    shown = excerpt(source)
    assert sanitize_html(shown) == shown
    assert "<script" not in shown


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    st.lists(
        st.sampled_from(
            ["文字", "English words here", r"$x_i^2$", r"$\sum_{i=1}^n a_i$", "**粗**", "`c`",
             "。", ". ", "\n\n", r"$$\int_0^1 f(x)\,dx$$", "- 列表项\n", "*斜体*"]
        ),
        max_size=120,
    )
)  # fmt: skip
def test_the_cut_never_breaks_a_formula_or_a_tag(pieces: list[str]) -> None:
    source = "".join(pieces)
    shown = excerpt(source)
    soup = BeautifulSoup(shown, "html.parser")
    # Every formula is whole: its MathML is one the page itself holds.
    page = rendered(source)
    for math in re.findall(r"<semantics>.*?</semantics>", shown, re.S):
        assert math in page
    # Well formed: re-serialised, the tags are the same (nothing left open or dangling).
    assert str(soup) == shown.replace("<br>", "<br/>")
    assert text_units(text_of(shown)) <= 130


@pytest.mark.parametrize("language", ["zh-Hans", "en"])
def test_no_placeholder_ever(language: str) -> None:
    source = r"$\begin{pmatrix}1&2\\3&4\end{pmatrix}$ 和 $x_{\theta}$ 以及 $\frac{1}{2}$。"
    shown = excerpt(source, language)
    assert "[公式]" not in shown and "[formula]" not in shown
    assert shown.count("<math") == 3
