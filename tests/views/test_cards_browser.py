"""Math in cards and search snippets, as phones and desktops show it (headless Chromium): the
formulas are typeset in the math font, and nothing scrolls sideways; a long inline formula
stays inside its own box."""

from __future__ import annotations

import pytest

from tests.factories import make_note
from tests.views.test_browser import (  # noqa: F401 (fixtures)
    assert_no_horizontal_overflow,
    browser,
    live_server,
    open_page,
)

pytestmark = pytest.mark.browser

# About 400 px wide typeset, yet short enough (in LaTeX) for a card to keep it whole.
LONG_INLINE = " + ".join(rf"\frac{{x_{{{i}}}}}{{y_{{{i}}}}}" for i in range(12))
BODIES = [
    r"线性注意力先算 $\phi(K)^\top V$ 得到 $d\times d$ 矩阵，再乘 $\phi(Q)$，"
    r"复杂度从 $O(n^2)$ 降到 $O(n)$。",
    rf"A long inline formula ${LONG_INLINE}$ must stay in its box on phones.",
    r"softmax 的分块计算：合并两个块时用 $m=\max(m_1,m_2)$ 和 "
    r"$\mathrm{softmax}(x)_i=e^{x_i-m}/\sum_j e^{x_j-m}$ 修正。",
    "表格在卡片里只留名字：\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n以及 `torch.compile` 代码。",
]
PAGES = ["/", "/tag/math-cards/", "/search/?q=softmax"]


@pytest.fixture
def math_cards(transactional_db) -> None:
    for index, body in enumerate(BODIES):
        make_note(f"Math card {index}", body=body, tags=["math-cards"])


@pytest.mark.parametrize("width", [320, 390, 1280])
@pytest.mark.parametrize("path", PAGES)
def test_cards_typeset_math_in_the_math_font_without_sideways_scroll(
    live_server,  # noqa: F811
    browser,  # noqa: F811
    math_cards,
    path: str,
    width: int,
) -> None:
    page, errors = open_page(browser, viewport={"width": width, "height": 900})
    page.goto(live_server.url + path)
    page.evaluate("document.fonts.ready.then(() => true)")
    selector = ".note-excerpt math"
    maths = page.eval_on_selector_all(
        selector,
        "els => els.map(m => { const r = m.getBoundingClientRect(); return {"
        " family: getComputedStyle(m).fontFamily, width: r.width, height: r.height,"
        " right: r.right, frac: m.querySelectorAll('mfrac').length}; })",
    )
    assert len(maths) >= 2, maths
    # Typeset: MathML boxes with height, in the shipped font, which the page loaded.
    assert all(m["width"] > 0 and m["height"] > 0 for m in maths), maths
    assert all(m["family"].startswith('"Notes Math"') for m in maths), maths
    loaded = page.evaluate(
        "() => [...document.fonts].some(f => f.family.includes('Notes Math')"
        " && f.status === 'loaded')"
    )
    assert loaded, "the math font was not loaded"
    assert "[公式]" not in page.content()
    # Nothing sticks out of the page; a formula wider than the column scrolls in its box.
    assert_no_horizontal_overflow(page)
    viewport = page.evaluate("() => document.documentElement.clientWidth")
    assert all(m["right"] <= viewport + 0.5 for m in maths), (viewport, maths)
    assert errors == []
    page.context.close()


def test_a_long_inline_formula_wraps_or_scrolls_inside_its_card_on_a_phone(
    live_server,  # noqa: F811
    browser,  # noqa: F811
    math_cards,
) -> None:
    page, errors = open_page(browser, viewport={"width": 320, "height": 900})
    page.goto(live_server.url + "/")
    page.evaluate("document.fonts.ready.then(() => true)")
    long = page.eval_on_selector_all(
        ".note-excerpt math",
        "els => els.filter(m => m.querySelectorAll('mfrac').length >= 12).map(m => {"
        " const r = m.getBoundingClientRect(); return {scroll: m.scrollWidth,"
        " client: m.clientWidth, overflow: getComputedStyle(m).overflowX, right: r.right,"
        " height: r.height, line: parseFloat(getComputedStyle(m.parentElement).lineHeight)}; })",
    )
    assert len(long) == 1, "the card lost its long formula"
    (formula,) = long
    viewport = page.evaluate("() => document.documentElement.clientWidth")
    # Wider than the phone's column: it breaks onto more lines, or scrolls in its own box;
    # either way it ends inside the page.
    wrapped = formula["height"] > 1.5 * formula["line"]
    scrolls = formula["scroll"] > formula["client"] and formula["overflow"] in {"auto", "scroll"}
    assert wrapped or scrolls, formula
    assert formula["right"] <= viewport, (viewport, formula)
    assert errors == []
    page.context.close()
