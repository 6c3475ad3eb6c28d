"""Citations ``[@key]`` and the CSL-formatted reference list, over hand-written CSL items."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser, LexborNode

from notes.rendering import (
    CitedWork,
    LinkTarget,
    RenderContext,
    RenderLimits,
    RenderResult,
    find_citation_keys,
    fits_context,
    render_markdown,
    sanitize_html,
)
from notes.rendering.excerpt import excerpt_html
from notes.rendering.plaintext import plain_text
from notes.rendering.references import format_entries
from tests.hostile_corpus import PAYLOADS

# --- Works ------------------------------------------------------------------------------

LORA = CitedWork(
    key="hu2022lora",
    url="/papers/2106.09685/",
    csl={
        "id": "hu2022lora",
        "type": "article",
        "title": "LoRA: Low-Rank Adaptation of Large Language Models",
        "author": [
            {"family": "Hu", "given": "Edward J."},
            {"family": "Shen", "given": "Yelong"},
            {"family": "Wallis", "given": "Phillip"},
            {"family": "Allen-Zhu", "given": "Zeyuan"},
        ],
        "issued": {"date-parts": [[2021]]},
        "number": "arXiv:2106.09685",
        "publisher": "arXiv",
        "URL": "https://arxiv.org/abs/2106.09685",
    },
)
DQN = CitedWork(
    key="mnih2015human",
    url="/papers/10.1038/nature14236/",
    csl={
        "id": "mnih2015human",
        "type": "article-journal",
        "title": "Human-level control through deep reinforcement learning",
        "author": [
            {"family": "Mnih", "given": "Volodymyr"},
            {"family": "Kavukcuoglu", "given": "Koray"},
            {"family": "Silver", "given": "David"},
        ],
        "issued": {"date-parts": [[2015, 2, 26]]},
        "container-title": "Nature",
        "volume": "518",
        "issue": "7540",
        "page": "529-533",
        "DOI": "10.1038/nature14236",
    },
)
ATTENTION = CitedWork(
    key="vaswani2017attention",
    url="/papers/1706.03762/",
    csl={
        "type": "paper-conference",
        "title": "Attention Is All You Need",
        "author": [{"family": "Vaswani", "given": "Ashish"}],
        "issued": {"date-parts": [[2017]]},
        "container-title": "Advances in Neural Information Processing Systems",
    },
)
CHINESE_PAPER = CitedWork(
    key="zhang2020",
    url="/papers/zhang2020/",
    csl={
        "type": "article-journal",
        "title": "基于深度学习的图像识别研究",
        "author": [{"literal": "张三"}, {"family": "李", "given": "四"}],
        "issued": {"date-parts": [[2020]]},
        "container-title": "计算机学报",
        "volume": "43",
        "page": "1-10",
    },
)
WORKS = {
    "hu2022lora": LORA,
    "arxiv:2106.09685": LORA,
    "mnih2015human": DQN,
    "doi:10.1038/nature14236": DQN,
    "vaswani2017attention": ATTENTION,
    "zhang2020": CHINESE_PAPER,
}
CONTEXT = RenderContext(resolve_citation=WORKS.get)

CHINESE_PROSE = "低秩适配只训练很小的增量矩阵，冻结原有权重，显存开销因此大大降低"
ENGLISH_PROSE = "Low-rank adaptation trains small update matrices and freezes the original weights"


# --- Helpers ----------------------------------------------------------------------------


def render(source: str, context: RenderContext = CONTEXT) -> RenderResult:
    result = render_markdown(source, context)
    # Whatever is cited, the output is what sanitizing leaves as it is.
    assert sanitize_html(result.html) == result.html
    assert sanitize_html(result.toc_html) == result.toc_html
    return result


def dom(html: str) -> LexborNode:
    return LexborHTMLParser(f"<!DOCTYPE html><body>{html}").body


def cites(html: str) -> list[LexborNode]:
    """The in-text citation links, in reading order (not those in the reference list)."""
    return [node for node in dom(html).css("a.cite")]


def entries(html: str) -> list[LexborNode]:
    return dom(html).css("section.references > ol > li")


def entry_text(node: LexborNode) -> str:
    return " ".join(node.text().split())


class Recorder:
    """A resolver that remembers the keys it was asked for."""

    def __init__(self, works: Mapping[str, CitedWork]) -> None:
        self.works = works
        self.asked: list[str] = []

    def __call__(self, key: str) -> CitedWork | None:
        self.asked.append(key)
        return self.works.get(key)


# --- In the text ------------------------------------------------------------------------


def test_a_citation_is_a_bracketed_number_linking_to_its_entry() -> None:
    result = render(f"{ENGLISH_PROSE} [@hu2022lora].")
    (cite,) = cites(result.html)
    assert cite.text() == "[1]"
    assert cite.attributes["id"] == "cite-1"
    assert cite.attributes["href"] == "#ref-1"
    assert cite.attributes["title"] == LORA.csl["title"]
    assert cite.parent.tag == "p"  # in the sentence, not raised: no <sup>
    (entry,) = entries(result.html)
    assert entry.attributes["id"] == "ref-1"
    assert result.citations == (("hu2022lora", "hu2022lora"),)
    assert not result.warnings


def test_citations_are_numbered_in_order_of_first_citation() -> None:
    result = render(
        f"{ENGLISH_PROSE} [@mnih2015human].\n\n- item [@hu2022lora]\n\n"
        "> quoted [@vaswani2017attention]\n\nAgain [@mnih2015human]."
    )
    assert [c.text() for c in cites(result.html)] == ["[1]", "[2]", "[3]", "[1]"]
    titles = [entry.css_first("a").text() for entry in entries(result.html)]
    assert titles == [DQN.csl["title"], LORA.csl["title"], ATTENTION.csl["title"]]


def test_reading_order_counts_not_the_order_markdown_parses_in() -> None:
    """Python-Markdown runs inline patterns on a list's items after the paragraphs around it;
    numbers follow the page."""
    result = render(
        "- [@hu2022lora]\n\n    - nested [@mnih2015human]\n\nAfter [@vaswani2017attention]."
    )
    numbers = {c.attributes["title"]: c.text() for c in cites(result.html)}
    assert numbers == {
        LORA.csl["title"]: "[1]",
        DQN.csl["title"]: "[2]",
        ATTENTION.csl["title"]: "[3]",
    }


def test_a_repeated_citation_reuses_its_number_and_its_entry_links_back_to_each_place() -> None:
    result = render(f"{ENGLISH_PROSE} [@hu2022lora]. More [@mnih2015human]. Again [@hu2022lora].")
    first, _, again = cites(result.html)
    assert (first.text(), again.text()) == ("[1]", "[1]")
    assert (first.attributes["id"], again.attributes["id"]) == ("cite-1", "cite-1-2")
    lora, dqn = entries(result.html)
    backs = [a.attributes["href"] for a in lora.css("a.ref-back")]
    assert backs == ["#cite-1", "#cite-1-2"]
    assert [a.attributes["href"] for a in dqn.css("a.ref-back")] == ["#cite-2"]
    labels = [a.attributes["aria-label"] for a in lora.css("a.ref-back")]
    assert len(set(labels)) == 2 and all("[1]" in label for label in labels)
    ids = [node.attributes["id"] for node in dom(result.html).css("[id]")]
    assert len(ids) == len(set(ids))


def test_a_group_links_each_number_on_its_own() -> None:
    result = render(f"{ENGLISH_PROSE} [@hu2022lora; @mnih2015human].")
    (group,) = dom(result.html).css("span.cite-group")
    assert group.text() == "[1, 2]"
    assert [(a.text(), a.attributes["href"]) for a in group.css("a.cite")] == [
        ("1", "#ref-1"),
        ("2", "#ref-2"),
    ]


@pytest.mark.parametrize(
    "source, shown",
    [
        ("[@hu2022lora, p. 3]", "[1, p. 3]"),
        ("[@hu2022lora; @mnih2015human, pp. 33-35]", "[1; 2, pp. 33-35]"),
        ("[@hu2022lora, sec. 4.2; @mnih2015human]", "[1, sec. 4.2; 2]"),
        ("[ @hu2022lora ;  @mnih2015human ]", "[1, 2]"),
    ],
)
def test_locators_are_kept(source: str, shown: str) -> None:
    result = render(f"{ENGLISH_PROSE} {source}.")
    (paragraph,) = dom(result.html).css("p")
    assert shown in paragraph.text()


def test_arxiv_and_doi_keys_reach_the_resolver_as_written() -> None:
    resolver = Recorder(WORKS)
    source = "[@arxiv:2106.09685] [@doi:10.1038/nature14236, p. 530] [@{doi:10.1002/(SICI)1097}]"
    result = render(source, RenderContext(resolve_citation=resolver))
    assert resolver.asked == [
        "arxiv:2106.09685",
        "doi:10.1038/nature14236",
        "doi:10.1002/(SICI)1097",
    ]
    assert result.citations == (
        ("arxiv:2106.09685", "hu2022lora"),
        ("doi:10.1038/nature14236", "mnih2015human"),
        ("doi:10.1002/(SICI)1097", None),
    )
    assert find_citation_keys(source) == resolver.asked


def test_one_work_cited_by_two_spellings_has_one_number() -> None:
    result = render(f"{ENGLISH_PROSE} [@hu2022lora] and [@arxiv:2106.09685].")
    assert [c.text() for c in cites(result.html)] == ["[1]", "[1]"]
    assert len(entries(result.html)) == 1


def test_each_key_is_looked_up_once() -> None:
    resolver = Recorder(WORKS)
    render("[@hu2022lora] " * 50 + "[@nope] " * 50, RenderContext(resolve_citation=resolver))
    assert sorted(resolver.asked) == ["hu2022lora", "nope"]


# --- Unknown keys -----------------------------------------------------------------------


def test_an_unknown_key_is_marked_on_the_page_and_warns_the_editor() -> None:
    result = render(f"{ENGLISH_PROSE} [@nobody2024].")
    (missing,) = dom(result.html).css("span.cite-missing")
    assert missing.attributes["class"] == "cite cite-missing"
    assert missing.text() == "[@nobody2024]"
    assert "nobody2024" in missing.attributes["title"]
    assert result.warnings == ("Unknown citation: @nobody2024",)
    assert result.citations == (("nobody2024", None),)
    assert "<section" not in result.html  # nothing to list


def test_an_unknown_key_in_a_group_is_marked_among_the_numbers() -> None:
    result = render(f"{ENGLISH_PROSE} [@hu2022lora; @nobody2024, p. 2].")
    (group,) = dom(result.html).css("span.cite-group")
    assert group.text() == "[1; @nobody2024, p. 2]"
    assert group.css_first("span.cite-missing").text() == "@nobody2024"
    assert result.warnings == ("Unknown citation: @nobody2024",)
    assert len(entries(result.html)) == 1


def test_an_empty_context_resolves_nothing_and_never_fails() -> None:
    result = render("[@hu2022lora] [@arxiv:2106.09685]", RenderContext())
    assert len(dom(result.html).css("span.cite-missing")) == 2
    assert result.citations == (("hu2022lora", None), ("arxiv:2106.09685", None))


# --- What is not a citation ---------------------------------------------------------------

NOT_CITATIONS = {
    "code span": "Write `[@hu2022lora]` to cite.",
    "fenced code": "```\n[@hu2022lora]\n```",
    "indented code": "Text.\n\n    [@hu2022lora]",
    "inline math": "Sets $[@hu2022lora]$ here.",
    "display math": "$$\n[@hu2022lora]\n$$",
    "escaped bracket": r"Not \[@hu2022lora] at all.",
    "link": "[@hu2022lora](https://example.org)",
    "reference link": "[@hu2022lora][r]\n\n[r]: https://example.org",
    "email": "Mail a@b.com, <me@example.org> or [team@example.org].",
    "wiki link": "See [[@hu2022lora]].",
    "no key": "[@] and [@ x] and [@-a] and [@a.]",
    "braces": "[@{}] and [@{a{b}c}]",
    "image alt": "![see [@hu2022lora]](fig.png)",
    "inside link text": "[see [@hu2022lora]](https://example.org)",
}


@pytest.mark.parametrize("source", NOT_CITATIONS.values(), ids=NOT_CITATIONS.keys())
def test_citation_syntax_where_it_is_not_a_citation_is_left_alone(source: str) -> None:
    result = render(source)
    assert result.html == render(source, RenderContext()).html
    assert 'class="cite' not in result.html
    assert "<section" not in result.html
    assert not result.citations


def test_footnotes_and_links_still_work_around_citations() -> None:
    result = render(
        f"{ENGLISH_PROSE}[^1] [@hu2022lora], see [the paper](https://arxiv.org) and [[lora]].\n\n"
        "[^1]: A footnote citing [@mnih2015human]."
    )
    root = dom(result.html)
    assert root.css_first("sup a.footnote-ref").attributes["href"] == "#fn:1"
    assert root.css_first('a[href="https://arxiv.org"]').text() == "the paper"
    assert root.css_first("span.wikilink-missing").text() == "lora"
    # The footnote's citation is numbered where the footnote is read: after the text.
    assert root.css_first("div.footnote a.cite").text() == "[2]"
    assert [c.text() for c in cites(result.html)] == ["[1]", "[2]"]


def test_wiki_links_resolve_beside_citations() -> None:
    lora_note = LinkTarget(slug="lora", url="/notes/lora/", title="LoRA")
    context = RenderContext(resolve_link={"lora": lora_note}.get, resolve_citation=WORKS.get)
    result = render("[[lora]] [@hu2022lora]", context)
    assert dom(result.html).css_first("a.wikilink").attributes["href"] == "/notes/lora/"
    assert len(cites(result.html)) == 1


# --- The reference list -------------------------------------------------------------------


def test_a_chinese_note_lists_its_references_in_gb_t_7714() -> None:
    result = render(
        f"{CHINESE_PROSE} [@hu2022lora]，强化学习 [@mnih2015human]，会议论文 "
        "[@vaswani2017attention]，中文论文 [@zhang2020]。"
    )
    assert result.language == "zh-Hans"
    section = dom(result.html).css_first("section.references")
    assert section.attributes["aria-labelledby"] == "references"
    assert section.css_first("h2").attributes["id"] == "references"
    assert section.css_first("h2").text() == "参考文献"
    lora, dqn, attention, chinese = (entry_text(e) for e in entries(result.html))
    # GB/T 7714: family names in capitals, given names as initials, 等 after three
    # authors, a type code after the title ([EB/OL] online, [J] journal, [C] proceedings).
    assert lora.startswith("HU E J, SHEN Y, WALLIS P, 等. LoRA: Low-Rank Adaptation")
    assert "[EB/OL]" in lora and "https://arxiv.org/abs/2106.09685" in lora
    assert dqn.startswith("MNIH V, KAVUKCUOGLU K, SILVER D. Human-level control")
    assert "[J]. Nature, 2015, 518(7540): 529-533." in dqn
    assert "Attention Is All You Need[C]" in attention
    # A Chinese name is written whole, family name first.
    assert chinese.startswith(
        "张三, 李四. 基于深度学习的图像识别研究[J]. 计算机学报, 2020, 43: 1-10."
    )


def test_an_english_note_lists_its_references_in_ieee() -> None:
    result = render(f"{ENGLISH_PROSE} [@mnih2015human], as in [@hu2022lora].")
    assert result.language == "en"
    section = dom(result.html).css_first("section.references")
    assert section.css_first("h2").text() == "References"
    dqn, lora = (entry_text(e) for e in entries(result.html))
    assert dqn.startswith(
        "V. Mnih, K. Kavukcuoglu, and D. Silver, “Human-level control through deep "
        "reinforcement learning”, Nature, vol. 518, no. 7540, pp. 529–533, Feb. 2015, "
        "doi: 10.1038/nature14236."
    )
    assert lora.startswith("E. J. Hu, Y. Shen, P. Wallis, and Z. Allen-Zhu, “LoRA:")
    assert "Available: https://arxiv.org/abs/2106.09685" in lora
    assert dom(result.html).css_first("section.references i").text() == "Nature"


def test_the_style_is_chosen_by_the_caller_per_language() -> None:
    context = RenderContext(resolve_citation=WORKS.get, citation_styles={"en": "apa", "zh": "apa"})
    (entry,) = entries(render(f"{ENGLISH_PROSE} [@mnih2015human].", context).html)
    assert entry_text(entry).startswith("Mnih, V., Kavukcuoglu, K., & Silver, D. (2015).")


def test_an_unknown_style_falls_back_to_the_default_one() -> None:
    context = RenderContext(resolve_citation=WORKS.get, citation_styles={"en": "no-such-style"})
    (entry,) = entries(render(f"{ENGLISH_PROSE} [@mnih2015human].", context).html)
    assert entry_text(entry).startswith("V. Mnih, K. Kavukcuoglu, and D. Silver, “Human-level")


def test_entries_carry_no_number_of_their_own() -> None:
    """The list is an <ol>: the style's "[1]" would number each entry twice."""
    for prose in (CHINESE_PROSE, ENGLISH_PROSE):
        (entry,) = entries(render(f"{prose} [@hu2022lora]").html)
        assert not entry_text(entry).startswith("[")


def test_an_entry_title_links_to_the_works_page_on_this_site() -> None:
    (entry,) = entries(render(f"{ENGLISH_PROSE} [@hu2022lora]").html)
    title = entry.css_first("a")
    assert (title.text(), title.attributes["href"]) == (LORA.csl["title"], LORA.url)
    assert "target" not in title.attributes  # a page of this site


def test_the_reference_list_ends_the_body_after_the_footnotes() -> None:
    result = render(f"{ENGLISH_PROSE}[^1] [@hu2022lora].\n\n[^1]: A note.")
    assert result.html.rstrip().endswith("</section>")
    assert result.html.index('<div class="footnote">') < result.html.index("<section")


def test_the_reference_heading_never_takes_an_id_the_body_has() -> None:
    result = render(f"## References\n\n{ENGLISH_PROSE} [@hu2022lora].")
    section = dom(result.html).css_first("section.references")
    assert section.attributes["aria-labelledby"] == "references-2"
    assert section.css_first("h2").attributes["id"] == "references-2"


def test_the_contents_list_the_references() -> None:
    source = f"## 方法\n\n{CHINESE_PROSE} [@hu2022lora]。\n\n## 实验\n\n正文。\n\n## 结论\n\n正文。"
    toc = dom(render(source).toc_html)
    assert [a.text() for a in toc.css("a")] == ["方法", "实验", "结论", "参考文献"]
    assert toc.css("a")[-1].attributes["href"] == "#references"


def test_rendering_twice_gives_the_same_html() -> None:
    source = f"{CHINESE_PROSE} [@hu2022lora; @mnih2015human, p. 3] [@zhang2020]。"
    assert render(source).html == render(source).html


# --- Excerpts, reading time, language ---------------------------------------------------------


def test_an_excerpt_shows_a_citation_as_its_number_and_leaves_the_references_out() -> None:
    result = render(f"{CHINESE_PROSE} [@hu2022lora; @mnih2015human]。")
    assert result.excerpt == f"{CHINESE_PROSE} [1, 2]。"
    assert result.excerpt_html == f"{CHINESE_PROSE} [1, 2]。"
    # Also when an excerpt is made from the stored body in another language (the model does).
    assert "Low-Rank" not in excerpt_html(result.html, language="en")
    assert "Low-Rank" not in plain_text(result.html)


def test_the_references_count_for_no_reading_time() -> None:
    works = {f"w{i}": CitedWork(f"w{i}", "", {"title": "word " * 300}) for i in range(5)}
    context = RenderContext(resolve_citation=works.get)
    result = render(ENGLISH_PROSE + " " + " ".join(f"[@w{i}]" for i in range(5)), context)
    assert len(entries(result.html)) == 5
    assert result.reading_minutes == 1


def test_english_entries_do_not_make_a_chinese_note_english() -> None:
    source = f"{CHINESE_PROSE}。" + " ".join(f"[@{key}]" for key in WORKS)
    result = render(source)
    assert result.language == "zh-Hans"
    assert dom(result.html).css_first("section.references h2").text() == "参考文献"


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


# --- Rendering ahead ------------------------------------------------------------------------


def test_fits_context_is_false_when_a_citation_resolves_there() -> None:
    ahead = render_markdown(f"{ENGLISH_PROSE} [@hu2022lora] [@nobody].", RenderContext())
    assert fits_context(ahead, RenderContext())
    assert fits_context(ahead, RenderContext(resolve_citation={"other": LORA}.get))
    assert not fits_context(ahead, CONTEXT)
