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

import bleach
import markdown
from django.utils.translation import gettext_noop
from markdown.extensions.toc import slugify_unicode
from pygments.formatters import HtmlFormatter

from notes.rendering.context import DEFAULT_CITATION_STYLES, RenderContext, RenderState
from notes.rendering.editor_warnings import RenderWarning, placed
from notes.rendering.excerpt import excerpt_html as html_excerpt
from notes.rendering.limits import (
    Deadline,
    Limit,
    LimitProblem,
    RenderTimeout,
    alarm,
    check_limits,
    watch,
)
from notes.rendering.markdown_ext import FigureExtension, MathExtension, WikiLinkExtension
from notes.rendering.markdown_ext.citations import CitationExtension
from notes.rendering.markdown_ext.math import warn_environments_left_as_text
from notes.rendering.plaintext import (
    CHINESE,
    detect_language,
    make_excerpt,
    plain_text,
    read_every_way,
    reading_minutes,
)
from notes.rendering.references import HEADINGS, references_html
from notes.rendering.sanitize import CODE_LANGUAGE, focusable_scroll_boxes, sanitize_html

logger = logging.getLogger(__name__)


class LabelledHtmlFormatter(HtmlFormatter):
    """Pygments' HTML, its block labelled with the fence's language (``data-lang``), which
    the page shows above the code."""

    def __init__(self, lang_str: str = "", **options) -> None:
        super().__init__(**options)
        language = lang_str.removeprefix("language-").lower()
        # "text" is what an unlabelled fence gets: nothing worth a label.
        known = CODE_LANGUAGE.fullmatch(language) and language != "text"
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
    # Each a str (its English text, what is stored) with the line of the body it is about
    # (RenderWarning.line) and its wording in the admin's language (.translated()).
    warnings: tuple[RenderWarning, ...] = field(default_factory=tuple)
    toc_html: str = ""
    # Each [[link]] target as written (normalised) and the slug it resolved to, or None.
    links: tuple[tuple[str, str | None], ...] = field(default_factory=tuple)
    # Each citation key as written and the BibTeX key of the work it resolved to, or None.
    citations: tuple[tuple[str, str | None], ...] = ()
    reading_minutes: int = 1
    # The language the prose is written in (BCP 47), detected from the prose only.
    language: str = "zh-Hans"
    has_math: bool = False
    # Set when the body was over a limit and is shown as plain text.
    refused: LimitProblem | None = None
    # Its opening, for places that take plain text and for cards (notes.rendering.excerpt).
    excerpt: str = ""
    excerpt_html: str = ""


def fits_context(result: RenderResult, context: RenderContext) -> bool:
    """Whether a body rendered with an empty context (no link or citation resolved, no image
    sized) is what rendering it with ``context`` gives: none of its links or citations resolve
    there, no figure has a size, and it was not refused (a busy worker may pass a deadline the
    saver would not)."""
    return (
        result.refused is None
        and not context.image_sizes
        and all(context.resolve_link(target) is None for target, _ in result.links)
        and all(context.resolve_citation(key) is None for key, _ in result.citations)
    )


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 controls but tab and line feed (a form feed or backspace pasted from a PDF): invisible,
# refused by XML, and sanitized differently depending on where they fall.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def normalize_source(source: str) -> str:
    """Browsers submit textareas with CRLF; store and render one line-ending style.

    Also drops NUL and the other C0 control characters but tab and line feed (PostgreSQL
    text cannot hold NUL, XML none of them) and replaces lone surrogates with U+FFFD (no
    database driver, response or file can encode them as UTF-8), so any text that reaches a
    note can be saved, rendered, exported and carried by a feed.
    """
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    return _LONE_SURROGATE.sub("\ufffd", _CONTROL.sub("", source))


def _unformatted(source: str, problem: LimitProblem) -> RenderResult:
    """The body as plain text, whole: what a body over a limit shows (text is never lost).

    Escaped here rather than sanitized: bleach builds a long text by appending to a string,
    slow for a body this size. The control characters it would replace are replaced the same
    way, so the result is still what sanitizing leaves unchanged."""
    text = bleach.sanitizer.INVISIBLE_CHARACTERS_RE.sub(
        bleach.sanitizer.INVISIBLE_REPLACEMENT_CHAR, html.escape(source, quote=False)
    )
    # HTML drops a newline right after <pre>: leading blank lines would not survive sanitizing
    # (or a browser), so they are left out here too, and nothing but them.
    text = text.lstrip("\n")
    safe_html = focusable_scroll_boxes(f"<pre>{text}</pre>")
    return RenderResult(
        html=safe_html,
        warnings=(problem.warning(),),
        reading_minutes=reading_minutes(safe_html),
        language=detect_language(safe_html),
        refused=problem,
    )


def render_markdown(source: str, context: RenderContext | None = None) -> RenderResult:
    """Render an editor's Markdown to sanitized HTML.

    ``context`` tells the pipeline what it may know of the rest of the site (where wiki links
    point, the sizes of uploaded images) and its limits; rendering itself reads no database.

    Never raises for any input, and takes at most ``context.limits.seconds`` (formulas a
    share of it): a body over a limit, or slower than that, is shown as its escaped source in
    a <pre>, as is a failure inside the Markdown stage, so the reader sees the text and the
    editor gets a warning (``RenderResult.refused`` says which limit).
    """
    source = normalize_source(source or "")
    context = context or RenderContext()
    limits = context.limits
    problem = check_limits(source, limits)
    if problem is not None:
        return _unformatted(source, problem)
    deadline = Deadline(limits.seconds)
    state = RenderState(limits=limits, deadline=deadline)
    md = markdown.Markdown(
        extensions=[
            *MARKDOWN_EXTENSIONS,
            MathExtension(state),
            WikiLinkExtension(state, context),
            CitationExtension(state, context),
            FigureExtension(state, context),
        ],
        extension_configs=MARKDOWN_EXTENSION_CONFIGS,
        output_format="html",
    )
    watch(md, deadline)
    toc_tokens: list[dict] = []
    try:
        with alarm(deadline):
            try:
                raw = md.convert(source)
                toc_tokens = getattr(md, "toc_tokens", [])
            except RenderTimeout:
                raise
            except Exception as exc:
                logger.exception("Markdown rendering failed; falling back to plain text")
                state.warn(
                    gettext_noop(
                        "Markdown could not be rendered (%(error)s); the text is shown unformatted."
                    ),
                    {"error": exc.__class__.__name__},
                )
                raw = f"<pre>{html.escape(source)}</pre>"
                state.references.clear()
            body_html = focusable_scroll_boxes(sanitize_html(raw))
            if "\\begin{" in body_html:  # what it looks for, never found otherwise
                warn_environments_left_as_text(body_html, state)
            safe_html = body_html
            if state.references:
                section, toc_tokens = _references(body_html, toc_tokens, state, context)
                safe_html = body_html + section
    except RenderTimeout:
        return _unformatted(source, LimitProblem(Limit.TIME, limits.seconds, limits.seconds))
    # The body without its reference list: that is no prose, and no reading.
    read_every_way(body_html)
    language = detect_language(body_html)
    return RenderResult(
        html=safe_html,
        warnings=placed(state.warnings, source),
        toc_html=toc_to_html(toc_tokens),
        links=tuple(state.links.items()),
        citations=tuple(state.citations.items()),
        reading_minutes=reading_minutes(body_html),
        language=language,
        has_math=state.formulas > 0,
        excerpt=make_excerpt(body_html),
        excerpt_html=html_excerpt(body_html, language=language),
    )


_REFERENCES_ID = re.compile(r'\bid="(references(?:-[0-9]+)?)"')


def _references(
    body_html: str, toc_tokens: list[dict], state: RenderState, context: RenderContext
) -> tuple[str, list[dict]]:
    """The sanitized reference list that ends a body citing works, and the contents with it.

    Its style and heading follow the language of the body's prose, detected before the list
    is there (entries in English would make a Chinese note's list English)."""
    family = "zh" if detect_language(body_html) == CHINESE else "en"
    style = context.citation_styles.get(family) or DEFAULT_CITATION_STYLES[family]
    # Its heading's id must be the page's only one: a heading of the body may be "References".
    taken = set(_REFERENCES_ID.findall(body_html))
    heading_id, number = "references", 1
    while heading_id in taken:
        number += 1
        heading_id = f"references-{number}"
    section = references_html(
        state.references,
        family=family,
        style_name=style,
        heading_id=heading_id,
        check=state.check,
    )
    heading = {"level": 2, "id": heading_id, "name": HEADINGS[family], "children": []}
    return sanitize_html(section), [*toc_tokens, {**heading, "html": HEADINGS[family]}]


def _count_headings(tokens: list[dict]) -> int:
    return sum(1 + _count_headings(token.get("children", [])) for token in tokens)


def _toc_name(token: dict) -> str:
    """The text a heading shows in the contents.

    toc's own "name" strips the tags from the heading's HTML and so keeps the text of a
    formula's <annotation>, its LaTeX source ("## Loss $\\mathcal{L}$" would be listed as
    "Loss ℒ\\mathcal{L}"). Read the heading's HTML the way excerpts do instead: annotations
    left out, a structured formula as Unicode text.
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
