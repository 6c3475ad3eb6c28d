"""Citations ``[@key]`` in the text: their numbers, keys, unknown keys, and look-alikes."""

from __future__ import annotations

import pytest

from notes.rendering import (
    LinkTarget,
    RenderContext,
    find_citation_keys,
    fits_context,
    render_markdown,
)
from tests.rendering.citations import (
    ATTENTION,
    CONTEXT,
    DQN,
    ENGLISH_PROSE,
    LORA,
    WORKS,
    Recorder,
    cites,
    dom,
    entries,
    render,
)

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


# --- Rendering ahead ------------------------------------------------------------------------


def test_fits_context_is_false_when_a_citation_resolves_there() -> None:
    ahead = render_markdown(f"{ENGLISH_PROSE} [@hu2022lora] [@nobody].", RenderContext())
    assert fits_context(ahead, RenderContext())
    assert fits_context(ahead, RenderContext(resolve_citation={"other": LORA}.get))
    assert not fits_context(ahead, CONTEXT)
