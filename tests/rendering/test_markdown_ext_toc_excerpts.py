"""The research extensions to the Markdown pipeline: TOC, reading time, excerpts."""

from __future__ import annotations

import pytest

from notes.rendering.plaintext import make_excerpt
from tests.rendering.markdown_tree import render, tree

# --- Table of contents ----------------------------------------------------------------


def test_toc_is_built_for_three_headings() -> None:
    result = render("## Method\n\ntext\n\n### Details\n\ntext\n\n#### Edge cases\n\ntext")
    links = tree(result.toc_html).find_all("a")
    assert [a.text for a in links] == ["Method", "Details", "Edge cases"]


def test_toc_is_left_out_for_two_headings() -> None:
    """A note with two sections reads fine without a contents box."""
    assert render("## Method\n\ntext\n\n## Results\n\ntext").toc_html == ""


CHINESE_HEADINGS = "## 注意力机制\n\n甲\n\n## 实验结果\n\n乙\n\n### 消融实验\n\n丙"


def test_toc_anchors_of_chinese_headings_match_heading_ids() -> None:
    result = render(CHINESE_HEADINGS)
    hrefs = [a.attrs["href"] for a in tree(result.toc_html).find_all("a")]
    ids = [h.attrs["id"] for h in tree(result.html).find_all() if h.tag in {"h2", "h3", "h4"}]
    assert hrefs == [f"#{anchor}" for anchor in ids]
    assert "#注意力机制" in hrefs


def test_duplicate_headings_get_unique_anchors_that_match() -> None:
    result = render("## 注意力机制\n\n甲\n\n## 注意力机制\n\n乙\n\n## 注意力机制\n\n丙")
    hrefs = [a.attrs["href"] for a in tree(result.toc_html).find_all("a")]
    ids = [h.attrs["id"] for h in tree(result.html).find_all("h2")]
    assert len(set(ids)) == 3
    assert hrefs == [f"#{anchor}" for anchor in ids]


def test_toc_entry_of_a_heading_with_math_shows_no_latex_source() -> None:
    """The contents list the formula as text, never its TeX or a placeholder."""
    result = render("## Loss $\\mathcal{L}$\n\n## 缩放 $\\frac{1}{2}$\n\n## Plain")
    names = [a.text for a in tree(result.toc_html).find_all("a")]
    assert names == ["Loss ℒ", "缩放 1/2", "Plain"]


# --- Reading time ---------------------------------------------------------------------

ZH_SENTENCE = "注意力机制让模型在处理序列时动态地关注不同位置"  # 23 CJK characters
EN_WORDS = ["attention", "transformer", "scaling", "laws", "embeddings", "tokenizer", "optimizer"]


def chinese_body(characters: int) -> str:
    """Chinese prose with ``characters`` CJK characters, in sentences and paragraphs."""
    text = (ZH_SENTENCE * (characters // len(ZH_SENTENCE) + 1))[:characters]
    sentences = [text[i : i + 40] for i in range(0, len(text), 40)]
    return "\n\n".join("。".join(sentences[i : i + 5]) + "。" for i in range(0, len(sentences), 5))


def english_body(words: int) -> str:
    chosen = [EN_WORDS[i % len(EN_WORDS)] for i in range(words)]
    lines = [" ".join(chosen[i : i + 20]) + "." for i in range(0, words, 20)]
    return "\n\n".join(lines)


def assert_about(minutes: int, expected: int) -> None:
    assert abs(minutes - expected) <= 1, f"{minutes} min, expected about {expected}"


def test_4000_chinese_characters_read_in_about_10_minutes() -> None:
    assert_about(render(chinese_body(4000)).reading_minutes, 10)


def test_2200_english_words_read_in_about_10_minutes() -> None:
    assert_about(render(english_body(2200)).reading_minutes, 10)


def test_empty_note_reads_in_one_minute() -> None:
    assert render("").reading_minutes == 1


def test_formula_text_is_counted_once_not_again_from_its_latex_source() -> None:
    """A formula's visible words count; the <annotation> holding its TeX must not add them
    again (1,100 prose words + 1,100 words inside \\text{} = 2,200 words, about 10 min)."""
    formula = "$$\n\\text{" + " ".join(EN_WORDS[i % 7] for i in range(1100)) + "}\n$$"
    result = render(english_body(1100) + "\n\n" + formula)
    assert "<math" in result.html
    assert_about(result.reading_minutes, 10)


def test_code_block_is_counted_once() -> None:
    code = "```python\n" + "\n".join("result = compute(inputs)" for _ in range(367)) + "\n```"
    result = render(english_body(1100) + "\n\n" + code)  # 1,100 + 3 × 367 words
    assert_about(result.reading_minutes, 10)


# --- Excerpts -------------------------------------------------------------------------

MATH_NOTE = r"""缩放因子 \(\frac{1}{\sqrt{d_k}}\) 很重要，求和 $\sum_i x_i$ 也是，
坏公式 $\frac{1}{2$ 不显示。

$$
\mathrm{softmax}(x)_i = \frac{e^{x_i}}{\sum_j e^{x_j}}
$$

最后一段结束。

\[\lambda \geq 0\]

而 $W = BA$ 是低秩分解，$\alpha + \beta$ 是系数。
"""
MATH_NOTE_LEAKS = [
    r"\frac",
    "$",
    r"\(",
    r"\[",
    "<",
    r"\sqrt",
    r"\sum",
    r"\mathrm",
    "softmax",
    r"\alpha",
]


@pytest.mark.parametrize("leak", MATH_NOTE_LEAKS)
def test_excerpt_never_shows_latex_or_markup(leak: str) -> None:
    excerpt = make_excerpt(render(MATH_NOTE).html)
    assert leak not in excerpt


def test_excerpt_keeps_the_prose_around_formulas() -> None:
    excerpt = make_excerpt(render(MATH_NOTE).html)
    for words in ("缩放因子", "很重要", "最后一段", "低秩分解", "α+β"):
        assert words in excerpt


def test_structured_formula_is_unicode_text_in_a_chinese_excerpt() -> None:
    """A fraction flattened to text ("1 d") would misread; it reads "1/√d", never "[公式]", and
    the comma glued into the formula's box stays."""
    excerpt = make_excerpt(render(r"缩放因子是 $\frac{1}{\sqrt{d}}$，很重要。").html)
    assert excerpt == "缩放因子是 1/√d，很重要。"


def test_structured_formula_is_unicode_text_in_an_english_excerpt() -> None:
    excerpt = make_excerpt(render(r"The scale is $\frac{1}{\sqrt{d}}$ here.").html)
    assert excerpt == "The scale is 1/√d here."


def test_simple_inline_formula_appears_as_text_in_an_excerpt() -> None:
    excerpt = make_excerpt(render("LoRA writes the update as $W = BA$ for low rank.").html)
    assert "[formula]" not in excerpt
    assert "W=BA" in excerpt.replace(" ", "")
