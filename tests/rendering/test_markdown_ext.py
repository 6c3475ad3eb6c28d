"""The research extensions to the Markdown pipeline: math, wiki links, figures, TOC, reading time.

Rendering is pure (no database): link targets and image sizes arrive through RenderContext,
so these are plain pytest functions over ``render_markdown``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from notes.rendering import LinkTarget, RenderContext, RenderResult, render_markdown
from notes.rendering.markdown_ext import find_wiki_keys, wiki_key
from notes.rendering.plaintext import make_excerpt

# --- Helpers --------------------------------------------------------------------------

_VOID = {"br", "hr", "img", "input", "meta", "link", "wbr", "mspace"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)
    parent: Node | None = None

    @property
    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    def iter(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, *, cls: str | None = None) -> list[Node]:
        return [
            node
            for node in self.iter()
            if node.tag != "#root"
            and (tag is None or node.tag == tag)
            and (cls is None or cls in node.classes)
        ]

    def ancestors(self) -> Iterator[Node]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class _TreeBuilder(HTMLParser):
    """A small DOM of rendered HTML, so tests do not depend on attribute order or spacing."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root")
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs), parent=self.current)
        self.current.children.append(node)
        if tag not in _VOID:
            self.current = node

    def handle_endtag(self, tag: str) -> None:
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def tree(rendered: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(rendered)
    builder.close()
    return builder.root


def render(source: str, context: RenderContext | None = None) -> RenderResult:
    return render_markdown(source, context)


def math_elements(source: str) -> list[Node]:
    return tree(render(source).html).find_all("math")


# --- Math: delimiters -----------------------------------------------------------------

INLINE_SOURCES = {
    "dollar": r"The rank is $r \ll d$ here.",
    "paren": r"The rank is \(r \ll d\) here.",
}
DISPLAY_SOURCES = {
    "double dollar": r"$$h = W_0 x + B A x$$",
    "bracket": r"\[h = W_0 x + B A x\]",
}


@pytest.mark.parametrize("source", INLINE_SOURCES.values(), ids=INLINE_SOURCES.keys())
def test_inline_math_renders_as_inline_mathml(source: str) -> None:
    (math,) = math_elements(source)
    assert math.attrs.get("display", "inline") == "inline"


@pytest.mark.parametrize("source", INLINE_SOURCES.values(), ids=INLINE_SOURCES.keys())
def test_inline_math_stays_inside_its_sentence(source: str) -> None:
    (paragraph,) = tree(render(source).html).find_all("p")
    assert paragraph.find_all("math")
    assert paragraph.text.startswith("The rank is ")
    assert paragraph.text.endswith(" here.")


@pytest.mark.parametrize("source", DISPLAY_SOURCES.values(), ids=DISPLAY_SOURCES.keys())
def test_display_math_renders_as_block_mathml(source: str) -> None:
    (math,) = math_elements(source)
    assert math.attrs["display"] == "block"


@pytest.mark.parametrize(
    "opener, closer", [("$$", "$$"), ("\\[", "\\]")], ids=["dollar", "bracket"]
)
def test_multiline_display_math_with_markdown_like_lines_is_one_formula(
    opener: str, closer: str
) -> None:
    """Blank lines, "- x", "+ y" and "> z" inside a display block belong to the formula, not
    to Markdown: no list, no quote, no paragraph split."""
    source = f"Before.\n\n{opener}\na = b\n\n- c\n+ d\n> e\n{closer}\n\nAfter."
    root = tree(render(source).html)
    (math,) = root.find_all("math")
    assert math.attrs["display"] == "block"
    assert not root.find_all("ul") and not root.find_all("blockquote")
    assert [p.text for p in root.find_all("p")] == ["Before.", "After."]


def test_formula_keeps_its_latex_source_in_a_tex_annotation() -> None:
    """The source travels with the MathML, so copy-paste and assistive tech can use it."""
    (math,) = math_elements(r"Scale by $\frac{1}{\sqrt{d_k}}$.")
    (annotation,) = math.find_all("annotation")
    assert annotation.attrs["encoding"] == "application/x-tex"
    assert annotation.text == r"\frac{1}{\sqrt{d_k}}"


def test_markdown_emphasis_characters_inside_math_are_not_emphasis() -> None:
    rendered = render(r"$a_1 * b_2 * c$").html
    assert "<em>" not in rendered and "<strong>" not in rendered
    (annotation,) = tree(rendered).find_all("annotation")
    assert annotation.text == "a_1 * b_2 * c"


# --- Math: what is not math -----------------------------------------------------------


def test_dollars_in_an_inline_code_span_stay_code() -> None:
    root = tree(render("Write `$x$` for math.").html)
    assert not root.find_all("math")
    assert [code.text for code in root.find_all("code")] == ["$x$"]


def test_dollars_in_a_fenced_code_block_stay_code() -> None:
    root = tree(render("```\n$x$ and $$y$$\n\\(z\\)\n```").html)
    assert not root.find_all("math")
    assert "$x$ and $$y$$\n\\(z\\)" in root.find_all("code")[0].text


PRICES = {
    "chinese": "价格从 $5 到 $10 不等",
    "english": "It costs $5 to $10 per run.",
}


@pytest.mark.parametrize("source", PRICES.values(), ids=PRICES.keys())
def test_prices_are_not_math(source: str) -> None:
    result = render(source)
    assert "<math" not in result.html
    assert tree(result.html).text.strip() == source


def test_escaped_dollar_renders_a_literal_dollar_without_backslash() -> None:
    result = render(r"Use \$x\$ to write math.")
    assert "<math" not in result.html
    assert tree(result.html).text.strip() == "Use $x$ to write math."


# --- Math: broken formulas ------------------------------------------------------------

BROKEN = {
    "unbalanced brace": r"Scale $\frac{1}{2$ then",
    "unknown macro": r"Scale $\foobar{x}$ then",
    "unclosed aligned": "Scale\n\n$$\n\\begin{aligned}\na &= b \\\\\nc &= d\n$$\n\nthen",
}


@pytest.mark.parametrize("source", BROKEN.values(), ids=BROKEN.keys())
def test_broken_formula_shows_its_source_in_a_math_error_element(source: str) -> None:
    """The reader sees what the author typed (not a blank), marked as an error."""
    root = tree(render(source).html)
    (error,) = root.find_all(cls="math-error")
    tex_line = next(line for line in source.splitlines() if "\\" in line)
    assert tex_line.removeprefix("Scale ").removesuffix(" then") in error.text


@pytest.mark.parametrize("source", BROKEN.values(), ids=BROKEN.keys())
def test_broken_formula_does_not_stop_the_rest_of_the_note(source: str) -> None:
    text = tree(render(source).html).text
    assert "Scale" in text
    assert "then" in text


@pytest.mark.parametrize("source", BROKEN.values(), ids=BROKEN.keys())
def test_broken_formula_warns_the_editor(source: str) -> None:
    warnings = render(source).warnings
    assert any(w.startswith("Formula not rendered") for w in warnings)


# --- Math: the sanitizer --------------------------------------------------------------

RAW_MATHML = {
    "attributes and maction": (
        '<math><mi href="javascript:alert(1)" style="color:red" onclick="alert(2)">x</mi>'
        '<maction actiontype="statusline">y<mtext>z</mtext></maction></math>'
    ),
    "annotation-xml with script": (
        '<math><annotation-xml encoding="text/html"><script>alert(1)</script>'
        "</annotation-xml></math>"
    ),
    "inline in a paragraph": (
        'Text <math><mi href="javascript:alert(1)" onmouseover="alert(2)">x</mi></math> more.'
    ),
}


@pytest.mark.parametrize("source", RAW_MATHML.values(), ids=RAW_MATHML.keys())
def test_raw_mathml_loses_links_styles_and_event_handlers(source: str) -> None:
    rendered = render(source).html
    assert "javascript:" not in rendered
    for node in tree(rendered).find_all():
        assert not {"href", "style"} & node.attrs.keys(), node
        assert not any(name.startswith("on") for name in node.attrs), node


@pytest.mark.parametrize("source", RAW_MATHML.values(), ids=RAW_MATHML.keys())
def test_raw_mathml_loses_disallowed_elements(source: str) -> None:
    rendered = render(source).html
    assert "<script" not in rendered
    tags = {node.tag for node in tree(rendered).find_all()}
    assert not tags & {"maction", "annotation-xml", "script"}


def test_allowed_raw_mathml_still_shows() -> None:
    """Stripping is surgical: the harmless <mi> an editor typed keeps its letter."""
    (mi,) = tree(render(RAW_MATHML["attributes and maction"]).html).find_all("mi")
    assert mi.text == "x"


def test_html_inside_a_text_macro_is_shown_as_text_not_run() -> None:
    rendered = render(r"$\text{<script>alert(1)</script>}$").html
    assert "<script" not in rendered
    mtext = tree(rendered).find_all("mtext")
    assert [node.text for node in mtext] == ["<script>alert(1)</script>"]


def test_chinese_inside_a_text_macro_survives() -> None:
    mtext = tree(render(r"$\text{损失} = -\log p$").html).find_all("mtext")
    assert [node.text for node in mtext] == ["损失"]


MATH_CONTAINERS = {
    "heading": ("## Loss $\\mathcal{L}$", "h2"),
    "table cell": ("| a | b |\n|---|---|\n| $x^2$ | y |", "td"),
    "list item": ("- first $\\alpha$\n- second", "li"),
}


@pytest.mark.parametrize("source, container", MATH_CONTAINERS.values(), ids=MATH_CONTAINERS.keys())
def test_math_renders_inside_markdown_structures(source: str, container: str) -> None:
    (math,) = math_elements(source)
    assert container in {node.tag for node in math.ancestors()}


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
