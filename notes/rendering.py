"""The one pipeline from an editor's Markdown to the HTML readers and feeds get.

Everything here is pure (no database, no settings, no request): the model calls
``render_markdown`` on save and stores the result, so pages never render Markdown
per request, and ``manage.py rerender_notes`` replays it when the pipeline changes.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import bleach
import markdown
from bleach.linkifier import LinkifyFilter
from markdown.extensions.toc import slugify_unicode
from pygments.formatters import HtmlFormatter

from notes.markdown_ext import (
    FigureExtension,
    MathExtension,
    RenderContext,
    RenderState,
    WikiLinkExtension,
)
from notes.math import MATHML_TAGS, allowed_math_attribute
from notes.plaintext import (
    detect_language,
    plain_text,
    reading_minutes,
)

logger = logging.getLogger(__name__)

# The explicit allowlist: anything Markdown (or raw HTML typed by an editor) produces
# outside it is stripped or escaped by bleach.
ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details",
        "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5",
        "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s",
        "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody",
        "td", "tfoot", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip

ALLOWED_ATTRIBUTES: dict[str, list[str]] = {
    "a": ["href", "title", "class", "id", "rel", "target"],
    "abbr": ["title"],
    "img": ["src", "alt", "title", "width", "height", "loading"],
    "code": ["class"],
    "div": ["class"],
    "span": ["class"],
    "pre": ["class"],
    "sup": ["id", "class"],
    "li": ["id"],
    "ol": ["start"],
    "td": ["align", "colspan", "rowspan"],
    "th": ["align", "colspan", "rowspan"],
    "h1": ["id"],
    "h2": ["id"],
    "h3": ["id"],
    "h4": ["id"],
    "h5": ["id"],
    "h6": ["id"],
}
ALLOWED_ATTRIBUTES["span"] = ["class", "title"]
ALLOWED_ATTRIBUTES["div"] = ["class", "title"]
ALLOWED_TAGS = ALLOWED_TAGS | MATHML_TAGS


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    """The sanitizer's attribute rule: the lists above for HTML; for MathML, exactly what
    notes.math emits, values checked (classes styled by math.css, colours, no href or style).
    Equation anchors (ids "eq-…") and the focusable display-math box are allowed by value."""
    if tag in MATHML_TAGS:
        return allowed_math_attribute(tag, name, value)
    if name in ALLOWED_ATTRIBUTES.get(tag, ()):
        return True
    if tag in {"div", "span"} and name == "id":
        return value.startswith("eq-") and len(value) <= 120
    if tag == "div" and name == "data-lang":
        return _CODE_LANGUAGE.fullmatch(value) is not None
    # Boxes that scroll sideways (display math, code, tables) take keyboard focus.
    return tag in {"div", "span", "pre", "table"} and name == "tabindex" and value == "0"


ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
_CODE_LANGUAGE = re.compile(r"[a-z0-9][a-z0-9+#._-]{0,29}")


class LabelledHtmlFormatter(HtmlFormatter):
    """Pygments' HTML, its block labelled with the fence's language (``data-lang``), which
    the page shows above the code."""

    def __init__(self, lang_str: str = "", **options) -> None:
        super().__init__(**options)
        language = lang_str.removeprefix("language-").lower()
        # "text" is what an unlabelled fence gets: nothing worth a label.
        known = _CODE_LANGUAGE.fullmatch(language) and language != "text"
        self.language = language if known else ""

    def _wrap_div(self, inner):
        label = f' data-lang="{self.language}"' if self.language else ""
        yield 0, f'<div class="{self.cssclass}"{label}>'
        yield from inner
        yield 0, "</div>\n"


TOC_MIN_HEADINGS = 3

MARKDOWN_EXTENSIONS = [
    "extra",  # tables, fenced code, footnotes, abbreviations, attribute lists, def lists
    "codehilite",
    "toc",
    "sane_lists",
]
MARKDOWN_EXTENSION_CONFIGS = {
    # CSS classes, never inline styles: the stylesheet lives in static/.
    "codehilite": {
        "css_class": "highlight",
        "guess_lang": False,
        "use_pygments": True,
        "pygments_formatter": LabelledHtmlFormatter,
    },
    # Keeps Chinese headings readable in anchors (#注意力机制) instead of dropping them.
    "toc": {"slugify": slugify_unicode, "toc_depth": "2-4"},
    "extra": {"tables": {"use_align_attribute": True}},
}


@dataclass(frozen=True)
class RenderResult:
    """What a note stores after rendering: safe HTML plus anything the editor should hear."""

    html: str
    warnings: tuple[str, ...] = field(default_factory=tuple)
    toc_html: str = ""
    # Each [[link]] target as written (normalised) and the slug it resolved to, or None.
    links: tuple[tuple[str, str | None], ...] = field(default_factory=tuple)
    reading_minutes: int = 1
    # The language the prose is written in (BCP 47), detected from the prose only.
    language: str = "zh-Hans"
    has_math: bool = False


def _mark_external_links(attrs: dict, new: bool = False) -> dict:
    """External links open in a new tab without handing the opener to the target page."""
    href = attrs.get((None, "href"), "")
    parts = urlsplit(href)
    # A protocol-relative link (//example.org/x) has no scheme but is just as external.
    if parts.scheme in {"", "http", "https"} and parts.netloc:
        attrs[(None, "target")] = "_blank"
        attrs[(None, "rel")] = "noopener noreferrer"
    else:
        attrs.pop((None, "target"), None)
    return attrs


def _cleaner() -> bleach.Cleaner:
    return bleach.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=_allowed_attribute,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=[
            lambda source: LinkifyFilter(
                source,
                callbacks=[_mark_external_links],
                skip_tags={"pre", "code", "math", "annotation"},
                parse_email=False,
            )
        ],
    )


# bleach strips a disallowed tag but keeps its text, so without this the code inside a
# <script> or the rules inside a <style> an editor pasted would show up as prose on the page.
# Escaped text (code blocks, code spans) never matches; bleach still does the sanitizing.
# Only closed elements are removed, so a stray "<script" can never swallow the rest of a note.
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.I | re.S)


def sanitize_html(raw_html: str) -> str:
    """The last step of every rendering: only allowlisted tags, attributes and URL schemes."""
    return _cleaner().clean(_SCRIPT_OR_STYLE.sub("", raw_html))


_SCROLL_BOX = re.compile(r"<(pre|table)(?![^>]*\btabindex=)(?=[\s>])")


def focusable_scroll_boxes(safe_html: str) -> str:
    """Code blocks and tables scroll sideways on narrow screens: keyboard users must be able
    to focus them to scroll (WCAG 2.1.1). Applied to sanitized HTML; the attribute added is
    itself on the allowlist, so the result stays a fixed point of the sanitizer."""
    return _SCROLL_BOX.sub(r'<\1 tabindex="0"', safe_html)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def normalize_source(source: str) -> str:
    """Browsers submit textareas with CRLF; store and render one line-ending style.

    Also drops NUL (PostgreSQL text cannot hold it) and replaces lone surrogates with
    U+FFFD (no database driver, response or file can encode them as UTF-8), so any text
    that reaches a note can be saved, rendered and exported.
    """
    source = source.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return _LONE_SURROGATE.sub("\ufffd", source)


def render_markdown(source: str, context: RenderContext | None = None) -> RenderResult:
    """Render an editor's Markdown to sanitized HTML.

    ``context`` tells the pipeline what it may know of the rest of the site (where wiki links
    point, the sizes of uploaded images); rendering itself reads no database.

    Never raises for any input: a failure inside the Markdown stage falls back to the
    escaped source in a <pre>, so the reader sees the text and the editor gets a warning.
    """
    source = normalize_source(source or "")
    context = context or RenderContext()
    state = RenderState()
    md = markdown.Markdown(
        extensions=[
            *MARKDOWN_EXTENSIONS,
            MathExtension(state),
            WikiLinkExtension(state, context),
            FigureExtension(state, context),
        ],
        extension_configs=MARKDOWN_EXTENSION_CONFIGS,
        output_format="html",
    )
    toc_tokens: list[dict] = []
    try:
        raw = md.convert(source)
        toc_tokens = getattr(md, "toc_tokens", [])
    except Exception as exc:
        logger.exception("Markdown rendering failed; falling back to plain text")
        state.warnings.append(
            f"Markdown could not be rendered ({exc.__class__.__name__}); "
            "the text is shown unformatted."
        )
        raw = f"<pre>{html.escape(source)}</pre>"
    safe_html = focusable_scroll_boxes(sanitize_html(raw))
    return RenderResult(
        html=safe_html,
        warnings=tuple(dict.fromkeys(state.warnings)),
        toc_html=toc_to_html(toc_tokens),
        links=tuple(state.links.items()),
        reading_minutes=reading_minutes(safe_html),
        language=detect_language(safe_html),
        has_math=state.formulas > 0,
    )


def _count_headings(tokens: list[dict]) -> int:
    return sum(1 + _count_headings(token.get("children", [])) for token in tokens)


def _toc_name(token: dict) -> str:
    """The text a heading shows in the contents.

    Fix: toc's own "name" strips the tags from the heading's HTML and so keeps the text of a
    formula's <annotation>, its LaTeX source ("## Loss $\\mathcal{L}$" was listed as
    "Loss ℒ\\mathcal{L}"). Read the heading's HTML the way excerpts do instead: annotations
    left out, a structured formula as a placeholder.
    """
    text = plain_text(token.get("html") or "")
    return text or html.unescape(token.get("name", ""))


def toc_to_html(tokens: list[dict]) -> str:
    """A nested list of links to the h2–h4 headings, only when there are enough to need it."""
    if _count_headings(tokens) < TOC_MIN_HEADINGS:
        return ""

    def items(level_tokens: list[dict]) -> str:
        parts = []
        for token in level_tokens:
            # toc's names are already escaped HTML text; unescape and escape once, on our terms.
            name = html.escape(_toc_name(token))
            anchor = html.escape(token.get("id", ""), quote=True)
            children = token.get("children") or []
            nested = f"<ul>{items(children)}</ul>" if children else ""
            parts.append(f'<li><a href="#{anchor}">{name}</a>{nested}</li>')
        return "".join(parts)

    return sanitize_html(f"<ul>{items(tokens)}</ul>")
