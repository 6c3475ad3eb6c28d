"""Excerpts and the language of notes, as readers of lists and feeds meet them."""

from __future__ import annotations

import pytest

from notes.rendering import LinkTarget, RenderContext, render_markdown
from notes.rendering.mathtext import formula_text
from notes.rendering.plaintext import detect_language, make_excerpt


def excerpt(source: str, context: RenderContext | None = None) -> str:
    return make_excerpt(render_markdown(source, context).html)


@pytest.mark.parametrize(
    "block",
    [
        "|a|b|\n|---|---|\n|$x^2$|1|",
        '![图](/media/x.png "说明 $x^2$ 在此")',
        "## 标题里有 $x^2$",
    ],
    ids=["table", "caption", "heading"],
)
def test_text_after_a_skipped_block_with_math_is_kept(block: str) -> None:
    """Inline math inside a skipped block (table, caption, heading) once swallowed the rest."""
    text = excerpt(f"第一段。\n\n{block}\n\n第二段也在摘要里。")
    assert text == "第一段。 第二段也在摘要里。"


@pytest.mark.parametrize(
    ("tex", "shown"),
    [("E=mc^2", "E=mc²"), ("x_1", "x₁"), ("x_i", "xᵢ"), ("a_{ij}", "aᵢⱼ"), ("f'(x)", "f′(x)")],
)
def test_simple_formulas_stay_readable(tex: str, shown: str) -> None:
    assert excerpt(f"公式 ${tex}$ 在此。") == f"公式 {shown} 在此。"


def test_script_without_a_unicode_form_is_said_by_the_formula_text() -> None:
    """There is no subscript θ: never "xθ", and never a placeholder."""
    text = excerpt(r"参数 $x_{\theta}$ 在此。")
    assert text == "参数 " + formula_text(r"x_{\theta}") + " 在此。"
    assert "xθ" not in text and "[公式]" not in text


def test_a_structured_formula_is_text_in_any_language() -> None:
    text = excerpt(r"The scale $\frac{1}{d}$ matters.")
    assert text == "The scale " + formula_text(r"\frac{1}{d}") + " matters."
    assert "[formula]" not in text


def test_display_formula_does_not_leave_a_sentence_fragment() -> None:
    source = (
        "GAN 的目标是一个极小极大博弈。固定生成器时，最优判别器为\n\n"
        "$$D^*(x) = \\frac{p(x)}{p(x) + q(x)}$$\n\n"
        "代回目标函数后，得到 JS 散度。这解释了训练为何不稳定。"
    )
    text = excerpt(source)
    assert "最优判别器为" not in text and "代回目标函数后" not in text
    assert text == "GAN 的目标是一个极小极大博弈。 这解释了训练为何不稳定。"


def test_display_formula_after_a_colon_drops_the_dangling_colon() -> None:
    source = "样本和目标速度都有简单形式：\n\n$$x_t = t x_1$$\n\n每个样本沿直线匀速运动。"
    assert excerpt(source) == "每个样本沿直线匀速运动。"


def test_complete_sentences_around_display_math_are_kept() -> None:
    source = "前一句完整。\n\n$$a = b$$\n\n后一句也完整。"
    assert excerpt(source) == "前一句完整。 后一句也完整。"


def test_excerpt_cut_at_a_sentence_never_ends_with_dot_ellipsis() -> None:
    source = ("This sentence is long enough to count. " * 6) + "More " * 40
    text = excerpt(source)
    assert text.endswith(".") and not text.endswith(".…")


def test_english_note_full_of_chinese_link_titles_is_english() -> None:
    target = LinkTarget(
        slug="dreamfusion",
        url="/notes/dreamfusion/",
        title="用二维扩散模型生成三维资产的梦幻融合方法",
    )
    context = RenderContext(resolve_link=lambda key: target)
    source = "It was introduced by [[dreamfusion]] and by [[dreamfusion]]: text to 3D."
    html = render_markdown(source, context).html
    assert detect_language(html) == "en"


def test_chinese_note_full_of_english_terms_is_chinese() -> None:
    source = "LoRA 把 Transformer 的 attention 权重更新写成 low-rank 分解，只训练 adapter。"
    assert detect_language(render_markdown(source).html) == "zh-Hans"


def test_code_and_math_do_not_decide_the_language() -> None:
    source = "这是中文说明。\n\n```python\n" + "print('hello world')\n" * 30 + "```\n"
    assert detect_language(render_markdown(source).html) == "zh-Hans"
