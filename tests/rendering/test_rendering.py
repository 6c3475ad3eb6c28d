"""The Markdown pipeline: what readers see, what the sanitizer removes, and excerpts.

Everything here is pure (no database), so these are plain pytest functions.
"""

from __future__ import annotations

import html
import threading
import time
from html.parser import HTMLParser
from itertools import pairwise

import pytest

from notes.rendering import Limit, RenderContext, RenderLimits, RenderResult, render_markdown
from notes.rendering.plaintext import make_excerpt, truncate_text
from notes.rendering.sanitize import sanitize_html


def html_of(source: str) -> str:
    return render_markdown(source).html


class _Anchors(HTMLParser):
    """Collects the attributes of every <a> so tests do not depend on attribute order."""

    def __init__(self) -> None:
        super().__init__()
        self.links: dict[str, dict[str, str | None]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            attributes = dict(attrs)
            self.links[attributes.get("href") or ""] = attributes


def anchors(rendered: str) -> dict[str, dict[str, str | None]]:
    parser = _Anchors()
    parser.feed(rendered)
    return parser.links


# --- Markdown features ----------------------------------------------------------------


def test_table_alignment_uses_align_attribute_not_inline_style() -> None:
    rendered = html_of("| Model | Params |\n|:------|-------:|\n| BERT | 340M |")
    assert '<th align="left">Model</th>' in rendered
    assert '<td align="right">340M</td>' in rendered
    assert "style=" not in rendered


def test_fenced_code_is_highlighted_with_css_classes_only() -> None:
    rendered = html_of("```python\ndef attention(q, k, v):\n    return q\n```")
    assert '<div class="highlight" data-lang="python">' in rendered
    assert '<span class="k">def</span>' in rendered
    assert "style=" not in rendered


def test_code_without_a_language_is_not_highlighted() -> None:
    """Guessing a language for plain output or shell logs colours it wrongly."""
    rendered = html_of("```\ndef looks_like_python(): return 1\n```")
    code = rendered.split("<code>", 1)[1].split("</code>", 1)[0]
    assert code == "def looks_like_python(): return 1\n"


def test_footnote_reference_links_to_its_note() -> None:
    rendered = html_of("Low-rank updates suffice[^1].\n\n[^1]: See section 4 of the paper.")
    assert 'href="#fn:1"' in rendered
    assert '<li id="fn:1">' in rendered
    assert "See section 4 of the paper." in rendered


def test_english_heading_gets_an_id() -> None:
    assert '<h2 id="scaling-laws">Scaling Laws</h2>' in html_of("## Scaling Laws")


def test_chinese_heading_id_keeps_the_characters() -> None:
    assert '<h2 id="注意力机制">注意力机制</h2>' in html_of("## 注意力机制")


def test_external_link_opens_in_new_tab_without_opener() -> None:
    link = anchors(html_of("[paper](https://arxiv.org/abs/2106.09685)"))[
        "https://arxiv.org/abs/2106.09685"
    ]
    assert (link.get("target"), link.get("rel")) == ("_blank", "noopener noreferrer")


def test_protocol_relative_link_is_treated_as_external() -> None:
    link = anchors(html_of("[mirror](//example.org/paper.pdf)"))["//example.org/paper.pdf"]
    assert (link.get("target"), link.get("rel")) == ("_blank", "noopener noreferrer")


@pytest.mark.parametrize("href", ["/notes/lora/", "../ddpm/", "#方法"])
def test_internal_and_relative_links_stay_in_the_same_tab(href: str) -> None:
    link = anchors(html_of(f"[see]({href})"))[href]
    assert (link.get("target"), link.get("rel")) == (None, None)


def test_editor_written_target_blank_on_internal_link_is_dropped() -> None:
    link = anchors(html_of('<a href="/notes/lora/" target="_blank">LoRA</a>'))["/notes/lora/"]
    assert link.get("target") is None


def test_bare_url_is_linkified_as_external_link() -> None:
    link = anchors(html_of("Code at https://github.com/microsoft/LoRA today."))[
        "https://github.com/microsoft/LoRA"
    ]
    assert link.get("target") == "_blank"


def test_bare_url_in_fenced_code_is_not_linkified() -> None:
    rendered = html_of("```\ncurl https://example.org/weights.bin\n```")
    assert "<a" not in rendered
    assert "https://example.org/weights.bin" in rendered


def test_bare_url_in_inline_code_is_not_linkified() -> None:
    rendered = html_of("Run `pip download https://example.org/pkg.whl` first.")
    assert "<a" not in rendered


# --- Sanitizer ------------------------------------------------------------------------


def test_script_element_and_its_code_are_removed() -> None:
    """The tag must go, and its code must not show up on the page as prose either."""
    rendered = html_of("Before.\n\n<script>alert('pwned')</script>\n\nAfter.")
    assert "<script" not in rendered
    assert "pwned" not in rendered
    assert "After." in rendered


def test_event_handler_attributes_are_removed() -> None:
    rendered = html_of('<img src="/static/fig.png" onerror="alert(1)">')
    assert "onerror" not in rendered
    assert '<img src="/static/fig.png">' in rendered


@pytest.mark.parametrize(
    "source",
    [
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        '<a href="javascript:alert(1)">click</a>',
        '<a href="&#106;avascript:alert(1)">click</a>',
    ],
)
def test_javascript_urls_are_removed(source: str) -> None:
    rendered = html_of(source)
    assert "javascript" not in rendered.lower()
    assert "click" in rendered


@pytest.mark.parametrize(
    "source",
    [
        "![fig](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="fig">',
    ],
)
def test_data_urls_in_img_src_are_removed(source: str) -> None:
    rendered = html_of(source)
    assert "data:" not in rendered
    assert "src=" not in rendered


def test_iframe_is_removed() -> None:
    rendered = html_of('<iframe src="https://evil.example/"></iframe>\n\nText.')
    assert "<iframe" not in rendered
    assert "evil.example" not in rendered


def test_style_element_and_its_rules_are_removed() -> None:
    rendered = html_of("<style>body { display: none }</style>\n\nVisible.")
    assert "<style" not in rendered
    assert "display" not in rendered
    assert "Visible." in rendered


def test_inline_style_attribute_is_removed() -> None:
    rendered = html_of('<p style="color: red">Red?</p>')
    assert "style" not in rendered
    assert "Red?" in rendered


def test_escaped_script_in_code_block_is_shown_not_removed() -> None:
    """Notes quote HTML in code; the sanitizer must not eat it."""
    rendered = html_of("```html\n<script>alert('x')</script>\n```")
    assert "alert" in rendered
    assert "<script" not in rendered


# --- Odd input never raises -----------------------------------------------------------

ODD_INPUTS = {
    "unclosed fence": ("```python\nprint('never closed')\n", "never closed"),
    "unclosed tilde fence": ("~~~\nstill open", "still open"),
    "deeply nested quotes": ("> " * 300 + "deep quote", "deep quote"),
    "deeply nested list": ("".join("    " * i + "- level\n" for i in range(100)), "level"),
    "10k-char line": ("x" * 10_000, "x" * 10_000),
    "NUL bytes": ("before\x00after", "beforeafter"),
    "lone surrogate": ("half \ud800 pair", "half"),
    "broken table": ("| a |\n|---|---|\n| 1 | 2 | 3 |", "| 1 | 2 | 3 |"),
    "missing footnote": ("text[^nope]", "text[^nope]"),
    "unbalanced html": ("<div><span>open" * 50, "open"),
}


@pytest.mark.parametrize("source, visible", ODD_INPUTS.values(), ids=ODD_INPUTS.keys())
def test_odd_markdown_renders_and_keeps_the_text(source: str, visible: str) -> None:
    rendered = html_of(source)
    assert visible in rendered


@pytest.mark.parametrize("source", ["a\x00b", "a\ud800b", "\udfff"])
def test_rendered_html_is_always_encodable_utf8_without_nul(source: str) -> None:
    """PostgreSQL rejects NUL and every driver rejects lone surrogates."""
    rendered = html_of(source)
    assert "\x00" not in rendered
    rendered.encode("utf-8")  # raises UnicodeEncodeError on a lone surrogate


def test_empty_string_renders_to_empty_html_without_warnings() -> None:
    assert render_markdown("") == RenderResult(html="", warnings=())


# --- Excerpts -------------------------------------------------------------------------

ZH_SENTENCELESS = "注意力机制让模型在处理序列时动态地关注不同位置并据此聚合信息" * 12
EN_WORDS = ["attention", "transformer", "scaling", "laws", "embeddings", "tokenizer", "optimizer"]


def excerpt_of(source: str) -> str:
    return make_excerpt(html_of(source))


def test_chinese_excerpt_is_a_prefix_between_120_and_180_characters() -> None:
    excerpt = excerpt_of(ZH_SENTENCELESS)
    text = excerpt.removesuffix("…")
    assert ZH_SENTENCELESS.startswith(text)
    assert 120 <= len(text) <= 180


def test_english_excerpt_is_never_cut_mid_word() -> None:
    text = " ".join(EN_WORDS[i % len(EN_WORDS)] for i in range(60))
    # The scenario only tests something if a plain cut at 180 would split a word.
    assert text[179].isalpha() and text[180].isalpha()
    kept = excerpt_of(text).removesuffix("…")
    assert text.startswith(kept)
    assert text[len(kept)] == " "
    assert 120 <= len(kept) <= 180


def test_excerpt_holds_no_markup() -> None:
    source = " ".join(
        f"**bold {i}** and [a link](https://example.org/{i}) and `code {i}` and <em>x</em>"
        for i in range(10)
    )
    assert "<" not in excerpt_of(source)


def test_excerpt_leaves_out_code_blocks() -> None:
    source = "```python\nSECRET_CODE = compute()\n```\n\nThe prose that readers should see first."
    assert excerpt_of(source) == "The prose that readers should see first."


def test_excerpt_leaves_out_footnote_markers_and_tables() -> None:
    source = "Claim[^1] here.\n\n| TABLECELL |\n|---|\n| 2 |\n\n[^1]: FOOTNOTE body."
    assert excerpt_of(source) == "Claim here."


def test_excerpt_prefers_the_end_of_a_sentence() -> None:
    first = "低秩适配冻结原始权重只训练一对小矩阵" * 8 + "。"  # a sentence of 145 characters
    source = first + "随后的内容不应出现在摘要里" * 10
    assert 120 <= len(first) <= 180
    assert excerpt_of(source) == first  # its own full stop, never "。…"


def test_english_excerpt_prefers_the_end_of_a_sentence() -> None:
    first = "Low-rank adapters freeze the pretrained weights and train two small matrices " * 2
    first = first.strip() + "."
    source = first + " Then " + "more words follow here " * 10
    assert 120 <= len(first) <= 180
    assert excerpt_of(source) == first  # never ".…"


def test_short_text_is_unchanged_without_ellipsis() -> None:
    assert excerpt_of("A short note.") == "A short note."


def test_text_of_exactly_the_limit_is_unchanged() -> None:
    text = "模" * 180
    assert truncate_text(text) == text


def test_truncated_excerpt_ends_with_ellipsis() -> None:
    excerpt = excerpt_of(ZH_SENTENCELESS)
    assert excerpt.endswith("…")
    assert excerpt.count("…") == 1


def test_excerpt_collapses_whitespace_between_paragraphs() -> None:
    excerpt = excerpt_of("First paragraph.\n\n\n- item one\n- item two")
    assert excerpt == "First paragraph. item one item two"


@pytest.mark.parametrize(
    "source, tag",
    [("```python\nx = 1\n```", "<pre"), ("| a | b |\n|---|---|\n| 1 | 2 |", "<table")],
)
def test_boxes_that_scroll_sideways_take_keyboard_focus(source: str, tag: str) -> None:
    """A wide code block or table scrolls on a phone; without focus, a keyboard cannot."""
    assert f'{tag} tabindex="0"' in render_markdown(source).html


def test_an_author_cannot_set_tabindex_on_other_elements() -> None:
    html = render_markdown('<p tabindex="0">a</p><pre tabindex="5">b</pre>').html
    assert 'tabindex="5"' not in html
    assert "<p tabindex" not in html


def test_code_blocks_are_labelled_with_a_safe_language_name() -> None:
    assert '<div class="highlight" data-lang="bash">' in html_of("```bash\nls\n```")
    # No label for an unlabelled fence, and nothing but a name gets through.
    assert "data-lang" not in html_of("```\nplain\n```")
    assert "onload" not in html_of('```py"onload="x\nq\n```').split("<code>")[0]


# --- Bounded cost ---------------------------------------------------------------------
# Speed goals live in bench/; here the bound is generous: whatever is typed, rendering ends
# within a few seconds, and the text is never lost.

FAST = RenderContext(limits=RenderLimits(seconds=1.0))


def timed(source: str, context: RenderContext | None = None) -> tuple[RenderResult, float]:
    started = time.monotonic()
    result = render_markdown(source, context)
    return result, time.monotonic() - started


def test_a_body_over_the_size_limit_is_shown_whole_as_plain_text() -> None:
    source = "一段很长的正文。\n\n" * 100_000 + "最后一行 <script>"  # about 1 MB
    result, seconds = timed(source)
    assert seconds < 5
    assert result.refused is not None and result.refused.limit == Limit.LENGTH
    assert result.html.startswith("<pre")
    assert result.html.endswith("最后一行 &lt;script&gt;</pre>")
    assert "shown unformatted" in result.warnings[0]


def test_a_huge_table_within_the_limit_renders_in_time() -> None:
    """Sanitizing used to be quadratic in the rows of a table (html5lib's walker): minutes.

    About 2 s here; the deadline is generous so a busy CI machine does not refuse it, and a
    quadratic step would still run far past it.
    """
    source = "| a | b | c |\n|---|---|---|\n" + "| 1 | 2 | 3 |\n" * 6_000
    result, seconds = timed(source, RenderContext(limits=RenderLimits(seconds=20.0)))
    assert seconds < 20
    assert result.refused is None
    assert result.html.count("<tr>") == 6_001


@pytest.mark.parametrize(
    "source",
    [
        "".join("    " * level + "- 列表\n" for level in range(60)),
        "> " * 300 + "深引用",
        "".join(">" * level + " 引用\n" for level in range(1, 80)),
    ],
    ids=["lists", "quotes on one line", "quotes"],
)
def test_deep_nesting_is_refused_at_once_and_keeps_the_text(source: str) -> None:
    result, seconds = timed(source)
    assert seconds < 5
    assert result.refused is not None and result.refused.limit == Limit.NESTING
    assert html.unescape(result.html.split(">", 1)[1]).startswith(source[:50])


def test_indentation_inside_fenced_code_is_not_nesting() -> None:
    source = "```python\n" + "".join(" " * (4 * level) + "x\n" for level in range(60)) + "```"
    assert render_markdown(source).refused is None


@pytest.mark.parametrize(
    "source",
    [
        "[" * 10_000 + " 安全文本",
        "[a " * 7_000 + "安全文本",
        "[[a " * 5_000 + "安全文本",
        "[a](" * 5_000 + "安全文本",
    ],
    ids=["nested brackets", "unclosed links", "unclosed wiki links", "unclosed addresses"],
)
def test_quadratic_markdown_is_cut_at_the_deadline_and_keeps_the_text(source: str) -> None:
    result, seconds = timed(source, FAST)
    assert seconds < 5
    assert result.refused is not None and result.refused.limit == Limit.TIME
    assert "安全文本" in result.html


def test_the_deadline_holds_in_a_thread_where_no_signal_can_stop_rendering() -> None:
    """A threaded server renders off the main thread: the checks between steps bound it."""
    outcome: list = []
    worker = threading.Thread(target=lambda: outcome.append(timed("[a " * 7_000, FAST)))
    worker.start()
    worker.join(timeout=10)
    result, seconds = outcome[0]
    assert seconds < 5
    assert result.refused is not None and result.refused.limit == Limit.TIME


@pytest.mark.parametrize(
    "formula",
    [
        r"$\def\a{\a\a}\a$",
        "$" + "".join(f"\\def\\{a}{{\\{b}\\{b}}}" for a, b in pairwise("abcdefghijkl")) + "\\a$",
        r"$\def\x#1{\x{#1#1}}\x{a}$",
        r"$$\newcommand{\r}{\r}\r$$",
    ],
    ids=["doubling", "exponential", "growing argument", "recursion"],
)
def test_macro_bombs_are_refused_and_the_rest_renders(formula: str) -> None:
    result, seconds = timed(f"前文。\n\n{formula}\n\n后文。")
    assert seconds < 5
    assert "math-error" in result.html
    assert "前文" in result.html and "后文" in result.html


def test_thousands_of_formulas_render_up_to_the_limit_and_keep_their_source() -> None:
    context = RenderContext(limits=RenderLimits(formulas=500))
    result, seconds = timed(" ".join(f"$x_{{{n}}}$" for n in range(3_000)), context)
    assert seconds < 5
    assert result.html.count("<math") == 500
    assert "x_{2999}" in result.html  # past the limit: the source, in a marked box
    assert "Formulas not typeset: a note holds at most 500 formulas" in result.warnings


def test_formulas_share_a_time_budget() -> None:
    """Past the formulas' share of the time, the rest stay source and the note still renders."""
    matrix = r" \\ ".join(" & ".join(f"a_{{{j}}}" for j in range(12)) for _ in range(12))
    source = "\n\n".join(f"$$\\begin{{pmatrix}}{matrix}\\end{{pmatrix}} + {n}$$" for n in range(60))
    result, seconds = timed(source, RenderContext(limits=RenderLimits(math_budget=0.2)))
    assert seconds < 5
    assert result.refused is None
    assert "Formulas not typeset: the note's formulas took more than 0.2 seconds" in result.warnings
    assert 0 < result.html.count("<math") < 60
    assert "+ 59$$" in html.unescape(result.html)


def test_a_refused_body_starting_with_a_blank_line_is_what_sanitizing_leaves_unchanged() -> None:
    """Found by the property test: HTML drops a newline right after <pre>."""
    result = render_markdown("\n" + ">" * 33)
    assert result.refused is not None and result.refused.limit == Limit.NESTING
    assert sanitize_html(result.html) == result.html
    assert html.unescape(result.html).endswith(">" * 33 + "</pre>")
