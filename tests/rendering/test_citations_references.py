"""The CSL-formatted reference list of citations ``[@key]``, and what excerpts make of it."""

from __future__ import annotations

from notes.rendering import CitedWork, RenderContext
from notes.rendering.excerpt import excerpt_html
from notes.rendering.plaintext import plain_text
from tests.rendering.citations import (
    CHINESE_PROSE,
    ENGLISH_PROSE,
    LORA,
    WORKS,
    dom,
    entries,
    entry_text,
    render,
)

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
