"""The research extensions to the Markdown pipeline: wiki links, figures, formulas in attributes."""

from __future__ import annotations

import pytest

from notes.rendering import LinkTarget, RenderContext
from notes.rendering.markdown_ext import find_wiki_keys, wiki_key
from tests.rendering.markdown_tree import Node, render, tree

# --- Wiki links -----------------------------------------------------------------------

LORA = LinkTarget(slug="lora", url="/notes/lora/", title="LoRA 低秩适配")
DRAFT = LinkTarget(slug="qlora", url="/notes/qlora/", title="QLoRA 草稿", is_public=False)
TARGETS = {wiki_key(t.title): t for t in (LORA, DRAFT)} | {t.slug: t for t in (LORA, DRAFT)}
LINKS = RenderContext(resolve_link=TARGETS.get)


def wikilinks(source: str) -> list[Node]:
    return tree(render(source, LINKS).html).find_all("a", cls="wikilink")


@pytest.mark.parametrize(
    "source",
    [
        "See [[lora]].",
        "See [[LoRA 低秩适配]].",
        "See [[lora 低秩适配]].",
        "See [[LORA  低秩适配]].",
    ],
    ids=["slug", "title", "lower-case title", "upper-case title, extra space"],
)
def test_wikilink_resolves_to_the_note_with_its_title(source: str) -> None:
    (link,) = wikilinks(source)
    assert link.attrs["href"] == "/notes/lora/"
    assert link.text == "LoRA 低秩适配"


def test_wikilink_with_shown_text_uses_that_text() -> None:
    (link,) = wikilinks("See [[LoRA 低秩适配|the LoRA paper]].")
    assert link.attrs["href"] == "/notes/lora/"
    assert link.text == "the LoRA paper"


def test_missing_wikilink_is_plain_text_marked_missing() -> None:
    root = tree(render("See [[新笔记]] later.", LINKS).html)
    assert not root.find_all("a")
    (missing,) = root.find_all("span", cls="wikilink-missing")
    assert missing.text == "新笔记"
    assert "[[" not in root.text


def test_missing_wikilink_warns_the_editor() -> None:
    assert "Unresolved link: [[新笔记]]" in render("See [[新笔记]].", LINKS).warnings


def test_resolved_wikilink_gives_no_warning() -> None:
    assert render("See [[lora]].", LINKS).warnings == ()


def test_wikilink_to_a_note_readers_cannot_see_warns_the_editor() -> None:
    warnings = render("See [[qlora]].", LINKS).warnings
    assert any("qlora" in w and "cannot see" in w for w in warnings)


@pytest.mark.parametrize(
    "source", ["Write `[[lora]]` to link.", "```\n[[lora]]\n```"], ids=["code span", "fenced"]
)
def test_wikilink_syntax_inside_code_is_left_alone(source: str) -> None:
    result = render(source, LINKS)
    root = tree(result.html)
    assert not root.find_all("a") and not root.find_all(cls="wikilink-missing")
    assert "[[lora]]" in root.find_all("code")[0].text
    assert result.links == ()


def test_wikilink_with_escaped_pipe_in_a_table_cell_resolves_with_its_text() -> None:
    """A bare "|" ends a table cell, so inside tables the alias is written "[[slug\\|text]]"."""
    root = tree(render("| Method | Note |\n|---|---|\n| LoRA | [[lora\\|the paper]] |", LINKS).html)
    cells = root.find_all("td")
    assert [cell.text for cell in cells] == ["LoRA", "the paper"]
    (link,) = cells[1].find_all("a", cls="wikilink")
    assert link.attrs["href"] == "/notes/lora/"


def test_find_wiki_keys_reads_an_escaped_alias_pipe() -> None:
    """The keys the model looks up before rendering must match what the renderer resolves."""
    assert find_wiki_keys("[[LoRA\\|the paper]] and [[QLoRA|q]]") == ["lora", "qlora"]


# --- Figures --------------------------------------------------------------------------

FIGURE_SRC = "/media/figures/attention.png"
SIZES = RenderContext(image_sizes={FIGURE_SRC: (1200, 800)})
LONE_IMAGE = f'![Attention weights]({FIGURE_SRC} "图 1：注意力权重")'


def test_lone_image_with_title_becomes_a_captioned_figure() -> None:
    root = tree(render(LONE_IMAGE, SIZES).html)
    (figure,) = root.find_all("figure")
    assert [img.attrs["alt"] for img in figure.find_all("img")] == ["Attention weights"]
    assert [caption.text for caption in figure.find_all("figcaption")] == ["图 1：注意力权重"]
    assert not root.find_all("p")


def test_image_loads_lazily() -> None:
    (img,) = tree(render(LONE_IMAGE).html).find_all("img")
    assert img.attrs["loading"] == "lazy"


def test_image_of_a_known_upload_gets_its_width_and_height() -> None:
    """Reserving the space stops the text jumping when the image arrives."""
    (img,) = tree(render(LONE_IMAGE, SIZES).html).find_all("img")
    assert (img.attrs["width"], img.attrs["height"]) == ("1200", "800")


def test_image_of_an_unknown_source_gets_no_size() -> None:
    (img,) = tree(render("![A plot](/media/other.png)", SIZES).html).find_all("img")
    assert "width" not in img.attrs and "height" not in img.attrs


def test_image_inside_a_sentence_is_not_wrapped_in_a_figure() -> None:
    root = tree(render(f"As ![the plot]({FIGURE_SRC}) shows, it works.", SIZES).html)
    assert not root.find_all("figure")
    (img,) = root.find_all("img")
    assert img.parent.tag == "p"


def test_image_without_alt_text_warns_the_editor() -> None:
    warnings = render(f"![]({FIGURE_SRC})").warnings
    assert any(w.startswith("Image without alt text") and FIGURE_SRC in w for w in warnings)


def test_image_with_alt_text_gives_no_warning() -> None:
    assert render(LONE_IMAGE, SIZES).warnings == ()


# --- Formulas inside attributes ---------------------------------------------------------


def test_a_formula_in_alt_text_becomes_text_not_markup() -> None:
    """Fix: the formula's MathML went into the alt attribute verbatim; its quotes closed the
    attribute and the image lost its source."""
    (image,) = tree(render(r"![损失 $L(\theta)$ 曲线](/media/loss.png)").html).find_all("img")
    assert image.attrs["alt"] == "损失 L(θ) 曲线"
    assert image.attrs["src"] == "/media/loss.png"


def test_a_quote_typed_in_a_formula_cannot_start_an_attribute() -> None:
    source = r'![x $\text{"/src="https://evil.example/p.png}$](/media/x.png "t $\text{"/a="}$")'
    (image,) = tree(render(source).html).find_all("img")
    assert image.attrs["src"] == "/media/x.png"
    assert set(image.attrs) == {"alt", "src", "loading"}


def test_a_formula_in_a_link_title_becomes_text() -> None:
    (link,) = tree(render('[x](https://example.org "about $x^2$")').html).find_all("a")
    assert link.attrs["title"] == "about x²"


def test_a_formula_at_the_end_of_link_text_keeps_the_link() -> None:
    """Fix: closing punctuation after a formula is kept on its line, and "]" was taken as
    such, so the link's text never closed."""
    (link,) = tree(render("见 [第二节 $x$](https://example.org)。").html).find_all("a")
    assert link.attrs["href"] == "https://example.org"
    assert link.find_all("math")
