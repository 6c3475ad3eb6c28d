"""Math laid out as Temml lays it out, measured in Chromium formula by formula.

Three details that ``tests/rendering/test_math_layout.py`` does not see: an inline formula
scrolls sideways in its own box, and that box must not clip ink above or below its rows;
formula boxes have the heights Temml's own stylesheet gives them; and an accent nudged right
for italic correction must not make its formula scroll (a scroll bar on desktops that always
show them).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from itertools import pairwise

import pytest
from PIL import Image, ImageChops
from playwright.sync_api import Browser, Page, Route

from tests import math_corpus as corpus
from tests.factories import make_note
from tests.views.test_browser import (  # noqa: F401 (fixtures)
    CHROMIUM,
    CHROMIUM_ARGS,
    browser,
    live_server,
    open_page,
)

pytestmark = pytest.mark.browser

# Every corpus formula that can be typeset inline, and shapes whose ink reaches past their box:
# braces, italic capitals, brackets and radicals.
INLINE = [
    tex
    for group in (
        "ALIGNED", "CASES", "LIMITS", "LARGE_OPERATORS", "DELIMITERS", "PAIRED_BARS", "PRIMES",
        "ACCENTS", "WIDE_ACCENTS", "ACCENT_IN_RADICAL", "LINES", "ARROWS", "ARRAYS", "COLORS",
        "BOXES", "UPRIGHT_GREEK", "OPERATOR_NAMES",
    )
    for tex in getattr(corpus, group)
    if not tex.startswith(r"\begin{align*}")
] + [tex for pair in corpus.SPACING_PAIRS for tex in pair] + [
    r"\underbrace{a+b+c}_{n}",
    r"\overbrace{x+y}^{k}",
    r"V",
    r"W_t",
    r"[x]",
    r"\left[ \frac{a}{b} \right]",
    r"\sqrt{x}",
    r"\sqrt[3]{y}",
    r"\hat{y}, \tilde{\mathbf{x}}, \bar{z}, \vec{v}",
]  # fmt: skip
DISPLAY = [
    tex for group in ("ALIGNED", "CASES", "LIMITS", "TAGS") for tex in getattr(corpus, group)
]
# Temml breaks this after each relation and operator: its rows wrap onto several lines.
WRAPPED = " + ".join(f"x_{{{i}}}^{{2}}" for i in range(1, 41)) + " = y"
# An accent at the end of a formula, pushed right of its base (Temml's italic correction).
ACCENTED = [
    r"\hat{y}, \tilde{\mathbf{x}}, \bar{z}, \vec{v}",
    r"\hat{y}",
    r"\tilde{x}",
    r"\vec{v}",
    r"a + \hat{f}",
    r"\dot{x}",
    r"\widehat{AB}",
    r"\widetilde{abc}",
    r"x = \hat{x}",
]
# No line break fits inside \left( ... \right): on a phone this must scroll in its own box.
WIDE = r"\left( " + " + ".join(f"x_{{{i}}}" for i in range(1, 31)) + r" \right)"

# Temml 0.13's reference stylesheet (dist/Temml-Latin-Modern.css, MIT), the rules Chromium
# applies: Firefox- and WebKit-only blocks left out; its font is the site's copy.
TEMML_CSS = r"""
math { font-style: normal; font-weight: normal; line-height: normal; font-size-adjust: none;
  text-indent: 0; text-transform: none; letter-spacing: normal; word-wrap: normal;
  direction: ltr; font-feature-settings: "dtls" off; }
math * { border-color: currentColor; }
math { font-family: "Notes Math", math; }
math.tml-display { display: block; width: 100%; }
*.mathscr { font-family: "Temml"; }
mfrac > :nth-child(2), msqrt, mover > :first-child { math-shift: compact }
.menclose { display: inline-block; position: relative; padding: 0.5ex 0ex; }
mo.tml-prime { font-family: Temml; }
.tml-sml-pad { padding-left: 0.05em; }
.tml-med-pad { padding-left: 0.10em; }
.tml-lrg-pad { padding-left: 0.15em; }
menclose { print-color-adjust: exact; }
.tml-right { text-align: right; }
.tml-left { text-align: left; }
.chr-sml { transform: translate(0.07em, 0) }
.chr-sml-vec { transform: scale(0.75) translate(0.07em, 0) }
.chr-med { transform: translate(0.14em, 0) }
.chr-med-vec { transform: scale(0.75) translate(0.14em, 0) }
.chr-lrg { transform: translate(0.21em, 0) }
.chr-lrg-vec { transform: scale(0.75) translate(0.21em, 0) }
.tml-shift-left { margin-left: -100% }
menclose { position: relative; padding: 0.5ex 0ex; }
.tml-overline { padding: 0.1em 0 0 0; border-top: 0.065em solid; }
.tml-underline { padding: 0 0 0.1em 0; border-bottom: 0.065em solid; }
.tml-fbox { padding: 3pt; border: 1px solid; }
.tml-tilde-2 { transform: scale(2.0, 1.1) }
.tml-tilde-3 { transform: scale(3.0, 1.3) }
.tml-tilde-4 { transform: scale(4.0, 1.4) }
.tml-hat-1 { transform: scale(1.8, 1.1) }
.tml-hat-2 { transform: scale(3.5, 1.1) }
.tml-hat-3 { transform: scale(5.4, 1.3) }
.tml-hat-4 { transform: scale(7.2, 1.4) }
.tml-right { text-align: -webkit-right; }
.tml-left { text-align: -webkit-left; }
math { display: inline-flex; flex-wrap: wrap; align-items: baseline; }
math > mrow { padding: 0.5ex 0ex; }
mtable.tml-jot > mtr > mtd { padding-top: 0.7ex; padding-bottom: 0.7ex; }
mtable.tml-small mtd { padding-top: 0.35ex; padding-bottom: 0.35ex; }
.tml-eqn::before { counter-increment: tmlEqnNo; content: "(" counter(tmlEqnNo) ")"; }
body { counter-reset: tmlEqnNo; }
"""
# What Temml writes inline on <math> (display) and the site's choice of size, on both sides.
REFERENCE_EXTRA = 'math[display="block"] { display: block math; }\nmath { font-size: 1.12em; }\n'

# Temml's own markup: <math> holds its rows, with no <semantics> wrapper or annotation.
TEMML_MARKUP_JS = """() => {
  for (const m of document.querySelectorAll('.note-body math')) {
    const semantics = m.querySelector(':scope > semantics');
    const first = semantics.firstElementChild;
    m.replaceChildren(...(first.matches('mrow.ms-wrap') ? first.children : [first]));
  }
}"""

MEASURE_JS = """() => {
  const marginBox = m => { const r = m.getBoundingClientRect(), s = getComputedStyle(m);
    return {height: r.height + parseFloat(s.marginTop) + parseFloat(s.marginBottom)}; };
  const maths = [...document.querySelectorAll('.note-body math')];
  const wrap = [...document.querySelectorAll('.note-body p math')].pop();
  const rows = [...(wrap.querySelector('mrow.ms-wrap') || wrap).children];
  const tops = [...new Set(rows.map(r => Math.round(r.getBoundingClientRect().top)))];
  return {heights: maths.map(m => marginBox(m).height),
          display: maths.map(m => m.getAttribute('display') === 'block'),
          lineTops: tops};
}"""


def _body() -> str:
    parts = [f"Inline {i}: ${tex}$ end." for i, tex in enumerate(INLINE)]
    parts += [f"$$\n{tex}\n$$" for tex in DISPLAY]
    parts.append(f"A long sum: ${WRAPPED}$.")
    return "\n\n".join(parts)


@pytest.fixture
def note(transactional_db):
    note = make_note("Math details", body=_body())
    assert not note.render_warnings, note.render_warnings
    return note


def _open(browser: Browser, url: str, width: int = 1000) -> tuple[Page, list[str]]:  # noqa: F811
    page, errors = open_page(browser, viewport={"width": width, "height": 900})
    page.goto(url)
    page.evaluate("document.fonts.ready.then(() => true)")
    return page, errors


# --- 1. Ink is not clipped ---------------------------------------------------------------


def test_inline_math_clips_no_ink(live_server, browser, note) -> None:  # noqa: F811
    """An inline formula is a scroll box, which clips: no ink around it is lost to that (the
    bottoms of brackets and radicals, the tips of braces, the arm of an italic V), compared
    pixel by pixel with the same page drawn without the clipping."""
    page, errors = _open(browser, live_server.url + note.get_absolute_url())
    selector = ".note-body p math"
    boxes = page.eval_on_selector_all(
        selector,
        "ms => ms.map(m => { const r = m.getBoundingClientRect();"
        " return [r.left, r.top + scrollY, r.right, r.bottom + scrollY]; })",
    )
    clipped_png = page.screenshot(full_page=True)
    page.eval_on_selector_all(selector, "ms => ms.forEach(m => m.style.overflow = 'visible')")
    free_png = page.screenshot(full_page=True)
    page.context.close()
    clipped, free = (Image.open(io.BytesIO(png)).convert("L") for png in (clipped_png, free_png))
    # Ink the clipping takes away: darker without it than with it.
    lost = ImageChops.subtract(clipped, free).point(lambda v: 255 if v >= 48 else 0)
    cut = {}
    for tex, (left, top, right, bottom) in zip([*INLINE, WRAPPED], boxes, strict=True):
        x0, x1, y0, y1 = int(left), int(right) + 1, int(top), int(bottom) + 1
        # Above, below, left and right of the box.
        bands = (
            (x0, y0 - 16, x1, y0),
            (x0, y1, x1, y1 + 16),
            (x0 - 16, y0, x0, y1),
            (x1, y0, x1 + 16, y1),
        )
        pixels = sum(lost.crop(band).histogram()[255] for band in bands)
        if pixels:
            cut[tex] = pixels
    assert errors == []
    assert cut == {}


# --- 2. Heights as in Temml's stylesheet ------------------------------------------------


def _reference_css(shipped: str) -> str:
    """Temml's stylesheet with the site's font faces and the classes that stand for Temml's
    inline styles (the part of math.css after its marker)."""
    faces = "\n".join(re.findall(r"@font-face\s*\{[^}]*\}", shipped))
    marker = shipped.index("--- Temml's inline styles")
    return faces + TEMML_CSS + REFERENCE_EXTRA + shipped[shipped.rindex("/*", 0, marker) :]


def _measure_reference(browser: Browser, url: str) -> dict:  # noqa: F811
    page, errors = open_page(browser, viewport={"width": 1000, "height": 900})

    def temml_css(route: Route) -> None:
        shipped = route.fetch().text()
        route.fulfill(status=200, content_type="text/css", body=_reference_css(shipped))

    page.route(re.compile(r".*/css/math\.[^/]*css$"), temml_css)
    page.goto(url)
    page.evaluate("document.fonts.ready.then(() => true)")
    page.evaluate(TEMML_MARKUP_JS)
    sizes = page.evaluate(MEASURE_JS)
    page.context.close()
    assert errors == []
    return sizes


def _pitch(tops: list[int]) -> list[int]:
    return [b - a for a, b in pairwise(tops)]


def test_formula_boxes_are_as_tall_as_temml_makes_them(live_server, browser, note) -> None:  # noqa: F811
    """Temml pads each row of a formula by 0.5ex above and below (``math > mrow``); the site's
    <semantics> wrapper must not lose that, so display math and lines of inline math keep
    Temml's spacing."""
    url = live_server.url + note.get_absolute_url()
    page, errors = _open(browser, url)
    ours = page.evaluate(MEASURE_JS)
    page.context.close()
    reference = _measure_reference(browser, url)
    assert errors == []
    assert ours["display"] == reference["display"]
    texts = INLINE + DISPLAY + [WRAPPED]
    off = {
        tex: (round(mine, 1), round(theirs, 1))
        for tex, mine, theirs in zip(texts, ours["heights"], reference["heights"], strict=True)
        if abs(mine - theirs) > 1
    }
    assert off == {}
    # The rows of a long inline formula wrap onto lines as far apart as Temml's.
    assert len(ours["lineTops"]) >= 2
    pitch, reference_pitch = (_pitch(sizes["lineTops"]) for sizes in (ours, reference))
    assert len(pitch) == len(reference_pitch), (pitch, reference_pitch)
    assert all(abs(a - b) <= 1 for a, b in zip(pitch, reference_pitch, strict=True)), (
        pitch,
        reference_pitch,
    )


# --- 3. No scroll bar for an accent -------------------------------------------------------


@pytest.fixture(scope="module")
def scrollbar_browser(browser) -> Iterator[Browser]:  # noqa: F811
    """Chromium drawing classic, always-visible scroll bars (Playwright hides them by
    default), as on a desktop set to show them."""
    chromium = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        args=CHROMIUM_ARGS,
        headless=True,
        ignore_default_args=["--hide-scrollbars"],
    )
    yield chromium
    chromium.close()


SCROLL_JS = """() => [...document.querySelectorAll('.note-body p math')].map(m => ({
  tex: m.querySelector('annotation').textContent,
  overflow: m.scrollWidth - m.clientWidth,
  bar: Math.round(m.getBoundingClientRect().height - m.clientHeight),
  page: document.documentElement.scrollWidth - document.documentElement.clientWidth}))"""


def test_accented_formulas_show_no_scroll_bar(
    live_server,  # noqa: F811
    scrollbar_browser,
    transactional_db,
) -> None:
    """Temml nudges an accent right of an italic base; at the end of a formula its box then
    reaches past the formula's and, with always-visible scroll bars, a 15 px bar appears."""
    # At several offsets in the line, since a sub-pixel position can round either way.
    body = "\n\n".join(
        f"{'Word ' * (n % 5)}{'i' * n} ${tex}$ end." for tex in ACCENTED for n in range(8)
    )
    note = make_note("Accents", body=body)
    assert not note.render_warnings, note.render_warnings
    for width in (1280, 390):
        page, errors = _open(scrollbar_browser, live_server.url + note.get_absolute_url(), width)
        found = page.evaluate(SCROLL_JS)
        page.context.close()
        assert errors == []
        assert len(found) == 8 * len(ACCENTED)
        scrolling = {(m["tex"], m["overflow"], m["bar"]) for m in found if m["overflow"] > 0}
        barred = {(m["tex"], m["bar"]) for m in found if m["bar"] > 0}
        assert (width, scrolling, barred) == (width, set(), set())


def test_a_formula_too_wide_for_a_phone_still_scrolls_in_its_own_box(
    live_server,  # noqa: F811
    scrollbar_browser,
    transactional_db,
) -> None:
    """The room for accents leaves a genuinely wide formula scrolling sideways in its box."""
    note = make_note("Wide", body=f"Before ${WIDE}$ after.")
    page, errors = _open(scrollbar_browser, live_server.url + note.get_absolute_url(), 320)
    (found,) = page.evaluate(SCROLL_JS)
    style = page.eval_on_selector(".note-body p math", "m => getComputedStyle(m).overflowX")
    page.context.close()
    assert errors == []
    assert found["overflow"] > 100 and style == "auto", found
    assert found["page"] == 0, found
