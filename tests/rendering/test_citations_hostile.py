"""Citations ``[@key]`` and CSL items from hostile input: nothing executable, no failure."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notes.rendering import CitedWork, RenderContext, RenderLimits, render_markdown, sanitize_html
from notes.rendering.references import format_entries
from tests.hostile_corpus import PAYLOADS
from tests.rendering.citations import (
    CHINESE_PROSE,
    DQN,
    ENGLISH_PROSE,
    LORA,
    WORKS,
    cites,
    dom,
    entries,
    entry_text,
    render,
)

# --- Hostile input --------------------------------------------------------------------------

HOSTILE = CitedWork(
    key="evil",
    url="javascript:alert(1)",
    csl={
        "type": "article-journal",
        "title": '<script>alert(1)</script> "quoted" {Braced} <img src=x onerror=alert(2)>',
        "author": [
            {"family": "<b onclick=alert(3)>Evil</b>", "given": "'x'"},
            {"literal": "&lt;i&gt; & co"},
            "not a name",
            {"family": None},
        ],
        "container-title": "<a href='javascript:alert(4)'>Journal</a>",
        "URL": "javascript:alert(5)",
        "DOI": '10.1/"><script>alert(6)</script>',
        "issued": {"date-parts": [["2020", "13", "99"]]},
        "volume": {"nested": "dict"},
        "page": ["list"],
        "note": "\ue010\ue011\ue020 private use",
        "unknown-variable": "x",
    },
)
EXECUTABLE = {"script", "iframe", "object", "embed", "form", "style", "svg"}


def assert_nothing_executable(html: str) -> None:
    for node in dom(html).traverse():
        assert node.tag not in EXECUTABLE, node.html
        for name, value in node.attributes.items():
            assert not name.lower().startswith("on"), node.html
            assert name.lower() != "style", node.html
            if name.lower() == "href":
                assert not (value or "").strip().lower().startswith("javascript:"), node.html


@pytest.mark.parametrize("prose", [CHINESE_PROSE, ENGLISH_PROSE], ids=["gb7714", "ieee"])
def test_hostile_csl_values_come_out_as_text(prose: str) -> None:
    result = render(f"{prose} [@evil].", RenderContext(resolve_citation={"evil": HOSTILE}.get))
    assert_nothing_executable(result.html)
    (entry,) = entries(result.html)
    text = entry_text(entry)
    assert "<script>alert(1)</script>" in text and "{Braced}" in text
    assert "Journal</a>" in text
    # The work's javascript: page is no link; its javascript: URL is not printed as one.
    assert entry.css_first("a").attributes["class"] == "ref-back"
    assert "alert(5)" not in result.html
    assert not any(char in result.html for char in "\ue010\ue011\ue020")
    (cite,) = cites(result.html)
    assert cite.attributes["title"] == HOSTILE.csl["title"]


def test_items_citeproc_cannot_take_still_get_an_entry() -> None:
    broken = [
        CitedWork("a", "/a/", {}),
        CitedWork("b", "/b/", {"title": "Only a title"}),
        CitedWork("c", "/c/", {"author": [{"given": "Only"}], "issued": {"date-parts": "x"}}),
        CitedWork("d", "/d/", {"issued": {"literal": "circa 1900"}, "title": 42}),
        CitedWork("e", "/e/", "not a mapping"),  # type: ignore[arg-type]
        CitedWork("f", "/f/", {"type": "<script>", "title": "x"}),
        CitedWork("g", "/g/", {"type": ["list"], "author": "not a list", "issued": 10**100}),
    ]
    for style in ("ieee", "chinese-gb7714-2005-numeric"):
        formatted = format_entries(broken, style)
        assert len(formatted) == len(broken)
        assert "Only a title" in formatted[1]


HOSTILE_KEYS = {
    "braces": "[@{<script>alert(1)</script>}] [@{a}b}] [@{{}}]",
    "script": "[@<script>alert(1)</script>] [@a<b>c] [@x</p><script>y]",
    "quotes": '[@x"onmouseover=alert(1)] [@\'x\'] [@a"b] [@{"}]',
    "very long key": "[@" + "k" * 10_000 + "]",
    "very long unclosed key": "[@" + "k" * 10_000 + "; @",
    "very long locator": "[@hu2022lora, " + "p" * 10_000 + "]",
    "very many citations": " ".join(f"[@k{i}; @hu2022lora]" for i in range(2_000)),
    "nested brackets": "[@a, [@b, [@c]]] [[@a]] [@a]] [[@a]",
    "markdown in a locator": "[@hu2022lora, *p.* `3` $x$] [@hu2022lora, <b>x</b>]",
    "control characters": "[@a\x00b] [@a\u202eb] [@\ud800]",
}


@pytest.mark.parametrize("source", HOSTILE_KEYS.values(), ids=HOSTILE_KEYS.keys())
def test_hostile_citations_never_fail_and_leave_nothing_executable(source: str) -> None:
    result = render(source, RenderContext(resolve_citation=WORKS.get))
    assert result.refused is None
    assert_nothing_executable(result.html)
    for warning in result.warnings:
        assert len(warning) < 200


def test_a_long_unknown_key_is_shortened_in_the_warning_but_shown_whole() -> None:
    key = "k" * 10_000
    result = render(f"[@{key}]")
    (missing,) = dom(result.html).css("span.cite-missing")
    assert missing.text() == f"[@{key}]"
    (warning,) = result.warnings
    assert warning.startswith("Unknown citation: @kkk") and warning.endswith("…")


def test_citations_to_many_works_stay_within_the_deadline() -> None:
    works = {f"k{i}": CitedWork(f"k{i}", f"/p/{i}/", DQN.csl) for i in range(200)}
    source = " ".join(f"[@k{i}]" for i in range(200))
    result = render(source, RenderContext(resolve_citation=works.get))
    assert result.refused is None
    assert len(entries(result.html)) == 200


def test_a_resolver_past_the_deadline_makes_the_body_unformatted_not_an_error() -> None:
    import time

    def slow(key: str) -> CitedWork | None:
        time.sleep(0.05)
        return LORA

    limits = RenderLimits(seconds=0.5)
    source = " ".join(f"[@k{i}]" for i in range(40))
    result = render_markdown(source, RenderContext(resolve_citation=slow, limits=limits))
    assert result.refused is not None
    assert sanitize_html(result.html) == result.html


CSL_VALUES = st.one_of(
    st.sampled_from([payload.text for payload in PAYLOADS]),
    st.text(st.characters(codec=None), max_size=30),
    st.integers(),
    st.none(),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
)
CSL_ITEMS = st.dictionaries(
    st.sampled_from(["type", "title", "author", "issued", "container-title", "URL", "DOI",
                     "number", "page", "volume", "publisher", "note", "editor", "accessed"]),
    st.one_of(CSL_VALUES, st.lists(st.dictionaries(
        st.sampled_from(["family", "given", "literal", "suffix"]), CSL_VALUES, max_size=3),
        max_size=4)),
)  # fmt: skip
SOURCES = st.lists(
    st.one_of(
        st.sampled_from(["[@a]", "[@b; @a, p. 3]", "[@", "@", ";", "]", "[", ", ", "`", "$",
                         "[^1]", "\n\n[^1]: ", "\n\n", "- ", "## ", "中文", "words "]),
        st.sampled_from([payload.text for payload in PAYLOADS]),
        st.text(max_size=10),
    ),
    max_size=25,
).map("".join)  # fmt: skip


@settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(SOURCES, CSL_ITEMS, st.text(max_size=20))
def test_any_citation_of_any_item_renders_safely(
    source: str, csl: dict[str, Any], url: str
) -> None:
    work = CitedWork("a", url, csl)
    result = render_markdown(source, RenderContext(resolve_citation={"a": work, "b": work}.get))
    assert sanitize_html(result.html) == result.html
    assert_nothing_executable(result.html)
