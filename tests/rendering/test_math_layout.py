"""Math as a reader sees it: positions and sizes measured in headless Chromium.

A note holding the corpus of ``tests/math_corpus.py`` is served by the live site with its real
stylesheet and self-hosted font, and each formula is measured: columns line up, limits sit
under their operator, delimiters stretch, accents and rules are visible, tags sit at the right
edge. Then every demo note is opened at 320 and 390 px: the page never scrolls sideways.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image, ImageChops

from notes.importexport import import_paths
from notes.models import Note
from tests import math_corpus as corpus
from tests.factories import make_note
from tests.views.test_browser import browser, live_server, open_page  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

# Display formulas, in page order, each with the group it belongs to.
DISPLAY: list[tuple[str, str]] = [
    (group, tex)
    for group in (
        "ALIGNED",
        "CASES",
        "LIMITS",
        "LARGE_OPERATORS",
        "DELIMITERS",
        "PAIRED_BARS",
        "PRIMES",
        "ACCENTS",
        "WIDE_ACCENTS",
        "ACCENT_IN_RADICAL",
        "LINES",
        "TAGS",
        "ARROWS",
        "ARRAYS",
        "COLORS",
        "BOXES",
        "UPRIGHT_GREEK",
        "OPERATOR_NAMES",
    )
    for tex in getattr(corpus, group)
] + [("UPRIGHT_REFERENCE", rf"\mathrm{{{tex}}}") for tex in corpus.UPRIGHT_GREEK]
# Inline formulas, in page order.
INLINE: list[tuple[str, str]] = [("LARGE_OPERATORS", tex) for tex in corpus.LARGE_OPERATORS] + [
    ("SPACING", tex) for pair in corpus.SPACING_PAIRS for tex in pair
]

MEASURE_JS = r"""
(kind) => {
  const box = e => { const r = e.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width,
            height: r.height}; };
  const maths = kind === "display"
    ? [...document.querySelectorAll(".note-body .math-display math")]
    : [...document.querySelectorAll(".note-body p math")];
  const ops = (m, text) => [...m.querySelectorAll("mo")].filter(o => o.textContent.trim() === text);
  return maths.map(m => {
    const em = parseFloat(getComputedStyle(m).fontSize);
    const display = m.closest(".math-display");
    const rows = [...m.querySelectorAll("mtr")];
    const rowEquals = rows.map(r => { const o = [...r.querySelectorAll("mo")]
      .find(o => /^[=≥≤≈]$/.test(o.textContent.trim())); return o ? box(o).left : null; });
    const secondCells = rows.map(r => { const c = r.querySelectorAll(":scope > mtd")[1];
      return c && c.firstElementChild ? box(c.firstElementChild).left : null; });
    const scripts = [...m.querySelectorAll("munder, munderover")].map(u =>
      ({base: box(u.children[0]), under: box(u.children[1]), text: u.children[0].textContent}));
    const large = [...m.querySelectorAll("mo")].filter(o => /^[∫∑∏∮⋃]$/.test(o.textContent.trim()))
      .map(o => box(o).height);
    const fences = [...m.querySelectorAll("mo[fence=true], mo[stretchy=true]")].map(box);
    const inner = m.querySelector("mfrac") ? box(m.querySelector("mfrac")) : null;
    const sup = m.querySelector("msup");
    const prime = sup && /′/.test(sup.children[1].textContent)
      ? {base: box(sup.children[0]), prime: box(sup.children[1])} : null;
    const accents = [...m.querySelectorAll("mover")].map(o =>
      ({base: box(o.children[0]), accent: box(o.children[1])}));
    const sqrt = m.querySelector("msqrt") ? box(m.querySelector("msqrt")) : null;
    const tag = m.querySelector(".tml-tag");
    const tagged = tag ? {tag: box(tag), display: box(display),
      formula: box(tag.closest("mtr").children[1].firstElementChild)} : null;
    const arrowBox = [...m.querySelectorAll("mover, munder")].map(o => ({
      arrow: box(o.children[0]), label: box(o.children[1]),
      isArrow: /[→←⟶⟵]/.test(o.children[0].textContent)})).filter(a => a.isArrow);
    const lines = [...m.querySelectorAll("menclose")].map(e => ({box: box(e),
      base: box(e.firstElementChild), t: parseFloat(getComputedStyle(e).borderTopWidth),
      b: parseFloat(getComputedStyle(e).borderBottomWidth)}));
    const borders = [...m.querySelectorAll("mtd, mrow, menclose")].map(e => {
      const s = getComputedStyle(e);
      return {t: parseFloat(s.borderTopWidth), r: parseFloat(s.borderRightWidth),
              b: parseFloat(s.borderBottomWidth), l: parseFloat(s.borderLeftWidth)}; });
    const colors = [...m.querySelectorAll("mi, mn")].map(e => getComputedStyle(e).color);
    const mis = [...m.querySelectorAll("mi, mo, mn")].filter(e => e.textContent.trim())
      .map(e => ({text: e.textContent.trim(), ...box(e)}));
    return {em, box: box(m), rowEquals, secondCells, scripts, large, fences, inner, prime,
            accents, sqrt, tagged, arrowBox, lines, borders, colors, mis,
            family: getComputedStyle(m).fontFamily};
  });
}
"""


def _body() -> str:
    parts = [f"$$\n{tex}\n$$" for _, tex in DISPLAY]
    parts += [f"Inline {i}: ${tex}$ end." for i, (_, tex) in enumerate(INLINE)]
    return "\n\n".join(parts)


_CACHE: dict[str, object] = {}


@pytest.fixture
def measured(live_server, browser, transactional_db) -> dict:  # noqa: F811
    """Measured once for the module (the first test that asks does the work)."""
    if "measured" not in _CACHE:
        _CACHE["measured"] = _measure(live_server, browser)
    return _CACHE["measured"]


def _measure(live_server, browser) -> dict:  # noqa: F811
    note = make_note("Math layout corpus", body=_body())
    assert not note.render_warnings, note.render_warnings
    url = live_server.url + note.get_absolute_url()
    page, errors = open_page(browser, viewport={"width": 1000, "height": 900})
    page.goto(url)
    page.evaluate("document.fonts.ready.then(() => true)")
    display = measured_display = page.evaluate(MEASURE_JS, "display")
    inline = page.evaluate(MEASURE_JS, "inline")
    assert len(display) == len(DISPLAY) and len(inline) == len(INLINE)
    # Upright Greek: the same pixels as \mathrm{...} (an italic glyph would differ).
    shots = [
        page.locator(".note-body .math-display math").nth(i).screenshot()
        for i in range(len(DISPLAY))
        if DISPLAY[i][0] in {"UPRIGHT_GREEK", "UPRIGHT_REFERENCE"}
    ]
    # A stretched arrow is painted wider than the box Chromium reports for its <mo>: measure
    # the ink in a screenshot of the arrow's row instead.
    arrows = []
    for i, (group, _) in enumerate(DISPLAY):
        if group == "ARROWS":
            stack = page.locator(".note-body .math-display math").nth(i).locator("mover").first
            stack.scroll_into_view_if_needed()
            outer, arrow = stack.bounding_box(), measured_display[i]["arrowBox"][0]["arrow"]
            # The arrow's row only (not the label), a little wider than the stack's box.
            offset = arrow["top"] - measured_display[i]["arrowBox"][0]["label"]["top"]
            top = outer["y"] + max(offset, outer["height"] - arrow["height"])
            clip = {"x": outer["x"] - 20, "y": top, "width": outer["width"] + 40,
                    "height": arrow["height"]}  # fmt: skip
            arrows.append(_ink_width(page.screenshot(clip=clip)))
    fonts = page.evaluate(
        "() => [document.fonts.check('16px \"Notes Math\"'),"
        " [...document.fonts].filter(f => f.family.includes('Notes Math')).map(f => f.status)]"
    )
    page.context.close()
    return {
        "display": display,
        "inline": inline,
        "greek": shots,
        "arrow_ink": arrows,
        "fonts": fonts,
        "errors": errors,
    }


def _ink_width(png: bytes) -> int:
    """Width in CSS pixels of the dark pixels in a screenshot (page background is light)."""
    image = Image.open(io.BytesIO(png)).convert("L")
    columns = [
        x
        for x in range(image.width)
        if any(image.getpixel((x, y)) < 128 for y in range(image.height))
    ]
    return columns[-1] - columns[0] + 1 if columns else 0


def _entries(measured: dict, group: str) -> list[tuple[str, dict]]:
    return [
        (tex, m) for (g, tex), m in zip(DISPLAY, measured["display"], strict=True) if g == group
    ]


def test_page_loads_the_shipped_math_font_without_errors(measured) -> None:
    assert measured["errors"] == []
    loaded, statuses = measured["fonts"]
    assert loaded and "loaded" in statuses, measured["fonts"]
    assert all(m["family"].startswith('"Notes Math"') for m in measured["display"])


def test_corpus_is_large_enough() -> None:
    assert len(DISPLAY) + len(INLINE) >= 60


@pytest.mark.parametrize("index", range(len(corpus.ALIGNED)))
def test_aligned_rows_line_up_on_their_relation(measured, index: int) -> None:
    tex, m = _entries(measured, "ALIGNED")[index]
    xs = [x for x in m["rowEquals"] if x is not None]
    assert len(xs) >= 2, tex
    assert max(xs) - min(xs) <= 1, (tex, xs)


@pytest.mark.parametrize("index", range(len(corpus.CASES)))
def test_cases_conditions_start_at_one_x(measured, index: int) -> None:
    tex, m = _entries(measured, "CASES")[index]
    xs = [x for x in m["secondCells"] if x is not None]
    assert len(xs) >= 2 and max(xs) - min(xs) <= 1, (tex, xs)


@pytest.mark.parametrize("index", range(len(corpus.LIMITS)))
def test_display_limits_sit_under_their_operator(measured, index: int) -> None:
    tex, m = _entries(measured, "LIMITS")[index]
    assert m["scripts"], tex
    for script in m["scripts"]:
        base, under = script["base"], script["under"]
        centre = (under["left"] + under["right"]) / 2
        assert base["left"] - 1 <= centre <= base["right"] + 1, (tex, script)
        assert under["top"] >= base["bottom"] - 2, (tex, script)


@pytest.mark.parametrize("index", range(len(corpus.LARGE_OPERATORS)))
def test_display_large_operators_are_taller_than_inline(measured, index: int) -> None:
    tex, m = _entries(measured, "LARGE_OPERATORS")[index]
    inline = measured["inline"][index]
    assert m["large"] and inline["large"], tex
    assert m["large"][0] > 1.3 * inline["large"][0], (tex, m["large"], inline["large"])


@pytest.mark.parametrize("index", range(len(corpus.DELIMITERS)))
def test_stretchy_delimiters_are_as_tall_as_their_content(measured, index: int) -> None:
    tex, m = _entries(measured, "DELIMITERS")[index]
    assert m["inner"] and len(m["fences"]) >= 2, tex
    for fence in m["fences"][:1] + m["fences"][-1:]:
        assert fence["height"] >= 0.9 * m["inner"]["height"], (tex, fence, m["inner"])


@pytest.mark.parametrize("index", range(len(corpus.PAIRED_BARS)))
def test_paired_bars_have_equal_heights(measured, index: int) -> None:
    tex, m = _entries(measured, "PAIRED_BARS")[index]
    first, last = m["fences"][0], m["fences"][-1]
    assert abs(first["height"] - last["height"]) <= 1, (tex, first, last)


@pytest.mark.parametrize("index", range(len(corpus.PRIMES)))
def test_prime_sits_beside_its_base(measured, index: int) -> None:
    tex, m = _entries(measured, "PRIMES")[index]
    base, prime = m["prime"]["base"], m["prime"]["prime"]
    assert prime["left"] - base["right"] <= 0.15 * m["em"], (tex, base, prime)
    assert prime["bottom"] <= base["top"] + 0.75 * base["height"], (tex, base, prime)
    assert prime["height"] >= 0.3 * base["height"], (tex, base, prime)


@pytest.mark.parametrize("index", range(len(corpus.ACCENTS)))
def test_accents_are_visible_above_their_base(measured, index: int) -> None:
    tex, m = _entries(measured, "ACCENTS")[index]
    (pair,) = m["accents"]
    accent, base = pair["accent"], pair["base"]
    assert accent["width"] > 0 and accent["height"] > 0, (tex, pair)
    assert accent["top"] < base["top"] + base["height"] / 2, (tex, pair)


@pytest.mark.parametrize("index", range(len(corpus.WIDE_ACCENTS)))
def test_wide_accents_span_their_base(measured, index: int) -> None:
    tex, m = _entries(measured, "WIDE_ACCENTS")[index]
    (pair,) = m["accents"]
    # Temml stretches wide accents in steps (as TeX picks from a few glyph sizes).
    assert pair["accent"]["width"] >= 0.7 * pair["base"]["width"], (tex, pair)


@pytest.mark.parametrize("index", range(len(corpus.ACCENT_IN_RADICAL)))
def test_bar_inside_a_radical_is_not_merged_with_it(measured, index: int) -> None:
    tex, m = _entries(measured, "ACCENT_IN_RADICAL")[index]
    accent = m["accents"][0]["accent"]
    assert accent["height"] > 0 and accent["top"] > m["sqrt"]["top"] + 1, (tex, accent, m["sqrt"])


@pytest.mark.parametrize("index", range(len(corpus.TAGS)))
def test_tag_sits_at_the_right_edge_clear_of_the_formula(measured, index: int) -> None:
    tex, m = _entries(measured, "TAGS")[index]
    tagged = m["tagged"]
    assert tagged, tex
    assert tagged["display"]["right"] - tagged["tag"]["right"] <= 2, (tex, tagged)
    assert tagged["tag"]["left"] - tagged["formula"]["right"] > 2 * m["em"], (tex, tagged)


@pytest.mark.parametrize("index", range(len(corpus.ARROWS)))
def test_labelled_arrows_stretch_over_their_label(measured, index: int) -> None:
    tex, m = _entries(measured, "ARROWS")[index]
    (arrow,) = m["arrowBox"]
    assert measured["arrow_ink"][index] >= arrow["label"]["width"], (tex, measured["arrow_ink"])
    # The label sits above (or below) the arrow, not across it.
    assert (
        arrow["label"]["bottom"] <= arrow["arrow"]["top"] + 2
        or arrow["label"]["top"] >= arrow["arrow"]["bottom"] - 2
    ), (tex, arrow)


@pytest.mark.parametrize("index", range(len(corpus.LINES)))
def test_over_and_underlines_span_their_base(measured, index: int) -> None:
    tex, m = _entries(measured, "LINES")[index]
    (line,) = m["lines"]
    assert line["t"] > 0 or line["b"] > 0, (tex, line)
    assert line["box"]["width"] >= line["base"]["width"], (tex, line)


@pytest.mark.parametrize("index", range(len(corpus.ARRAYS)))
def test_array_rules_are_drawn(measured, index: int) -> None:
    tex, m = _entries(measured, "ARRAYS")[index]
    assert any(b["r"] > 0 or b["l"] > 0 for b in m["borders"]), (tex, "no column rule")
    assert any(b["t"] > 0 or b["b"] > 0 for b in m["borders"]), (tex, "no \\hline")


@pytest.mark.parametrize("index", range(len(corpus.COLORS)))
def test_color_is_kept(measured, index: int) -> None:
    tex, m = _entries(measured, "COLORS")[index]
    assert "rgb(255, 0, 0)" in m["colors"], (tex, m["colors"])


@pytest.mark.parametrize("index", range(len(corpus.BOXES)))
def test_boxes_are_drawn(measured, index: int) -> None:
    tex, m = _entries(measured, "BOXES")[index]
    assert any(min(b.values()) > 0 for b in m["borders"]), (tex, m["borders"])


def _differing_share(first: bytes, second: bytes) -> float:
    """Share of pixels that differ clearly between two screenshots (1.0 if sizes differ by
    more than the one pixel a sub-pixel position can round to)."""
    a, b = (Image.open(io.BytesIO(png)).convert("L") for png in (first, second))
    if abs(a.width - b.width) > 1 or abs(a.height - b.height) > 1:
        return 1.0
    size = (0, 0, min(a.width, b.width), min(a.height, b.height))
    a, b = a.crop(size), b.crop(size)
    difference = ImageChops.difference(a, b)
    histogram = difference.histogram()
    return sum(histogram[97:]) / (a.width * a.height)


@pytest.mark.parametrize("index", range(len(corpus.UPRIGHT_GREEK)))
def test_capital_greek_is_upright(measured, index: int) -> None:
    """Drawn like \\mathrm{...}: an italic capital would differ in a large share of pixels
    (anti-aliasing at another sub-pixel offset changes only a few)."""
    count = len(corpus.UPRIGHT_GREEK)
    shots = measured["greek"]
    assert _differing_share(shots[index], shots[count + index]) < 0.03


@pytest.mark.parametrize("index", range(len(corpus.OPERATOR_NAMES)))
def test_operator_names_are_followed_by_a_space(measured, index: int) -> None:
    tex, m = _entries(measured, "OPERATOR_NAMES")[index]
    name, argument = m["mis"][0], m["mis"][-1]
    assert argument["left"] - name["right"] >= 0.1 * m["em"], (tex, name, argument)


@pytest.mark.parametrize("index", range(len(corpus.SPACING_PAIRS)))
def test_unary_sign_is_tighter_than_binary(measured, index: int) -> None:
    unary, binary = measured["inline"][len(corpus.LARGE_OPERATORS) + 2 * index :][:2]

    def gap(m: dict) -> float:
        sign = next(i for i, e in enumerate(m["mis"]) if e["text"] in {"−", "+"})
        return m["mis"][sign + 1]["left"] - m["mis"][sign]["right"]

    assert gap(unary) < gap(binary) - 0.1 * unary["em"], (gap(unary), gap(binary))


# --- Phones --------------------------------------------------------------------------

DEMO = Path(settings.BASE_DIR) / "demo" / "notes"


@pytest.fixture
def demo_widths(live_server, browser, transactional_db) -> dict[tuple[int, str], dict]:  # noqa: F811
    if "demo" not in _CACHE:
        _CACHE["demo"] = _measure_demo(live_server, browser)
    return _CACHE["demo"]


def _measure_demo(live_server, browser) -> dict[tuple[int, str], dict]:  # noqa: F811
    report = import_paths([DEMO])
    assert not report.errors
    urls = [note.get_absolute_url() for note in Note.objects.published()]
    assert len(urls) >= 25
    results = {}
    for width in (320, 390):
        page, _ = open_page(browser, viewport={"width": width, "height": 800})
        for url in urls:
            page.goto(live_server.url + url)
            results[(width, url)] = page.evaluate(
                "() => ({scroll: document.documentElement.scrollWidth,"
                " client: document.documentElement.clientWidth,"
                " lineStarts: [...document.querySelectorAll('.note-body p')].flatMap(p => {"
                "   const left = p.getBoundingClientRect().left, r = document.createRange();"
                "   const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT), out = [];"
                "   for (let n; (n = walker.nextNode());) {"
                "     if (n.parentElement.closest('math')) continue;"
                "     for (let i = 0; i < n.length; i++) {"
                "       if (!/[，。、；：！？）]/.test(n.data[i])) continue;"
                "       r.setStart(n, i); r.setEnd(n, i + 1);"
                "       const rect = r.getClientRects()[0];"
                "       if (rect && rect.left <= left + 1) out.push(n.data.slice(i, i + 12));"
                "   } }"
                "   return out; }),"
                " overflowing: [...document.querySelectorAll('.note-body p math')].filter(m =>"
                "   m.scrollWidth > m.clientWidth + 1 || m.getBoundingClientRect().right >"
                "   m.closest('p').getBoundingClientRect().right + 1)"
                "   .map(m => m.querySelector('annotation').textContent.slice(0, 40)),"
                " wrapped: [...document.querySelectorAll('.note-body p mrow.ms-wrap')].filter(w =>"
                "   [...w.children].some((c, i) => i > 0 && c.getBoundingClientRect().left <"
                "   w.children[i - 1].getBoundingClientRect().left)).length})"
            )
        page.context.close()
    return results


@pytest.mark.parametrize("width", [320, 390])
def test_no_demo_note_scrolls_sideways_on_a_phone(demo_widths, width: int) -> None:
    wide = {
        url: sizes
        for (w, url), sizes in demo_widths.items()
        if w == width and sizes["scroll"] > sizes["client"]
    }
    assert wide == {}


@pytest.mark.parametrize("width", [320, 390])
def test_inline_formulas_stay_inside_their_paragraph(demo_widths, width: int) -> None:
    """A long inline formula wraps between its rows, as TeX breaks after a relation, instead
    of running past the right edge of the text or hiding behind a scroll bar."""
    found = {url: s["overflowing"] for (w, url), s in demo_widths.items() if w == width}
    assert {url: tex for url, tex in found.items() if tex} == {}


def test_some_inline_formulas_wrap_on_the_narrowest_phone(demo_widths) -> None:
    assert sum(s["wrapped"] for (w, _), s in demo_widths.items() if w == 320) > 0


@pytest.mark.parametrize("width", [320, 390])
def test_no_line_starts_with_closing_punctuation(demo_widths, width: int) -> None:
    starts = {url: s["lineStarts"] for (w, url), s in demo_widths.items() if w == width}
    assert {url: found for url, found in starts.items() if found} == {}


def test_corpus_formulas_render_without_warnings() -> None:
    assert not any(re.search(r"\\\\[a-z]+\{", tex) for _, tex in DISPLAY)
