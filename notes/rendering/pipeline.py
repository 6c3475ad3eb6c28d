"""The one pipeline from an editor's Markdown to the HTML readers and feeds get.

Everything here is pure (no database, no settings, no request): the model calls
``render_markdown`` on save and stores the result, so pages never render Markdown
per request, and ``manage.py rerender_notes`` replays it when the pipeline changes.
"""

from __future__ import annotations

import html
import logging
import re
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import urlsplit

import bleach
import markdown
from bleach import html5lib_shim
from bleach.linkifier import LinkifyFilter
from markdown.extensions.toc import slugify_unicode
from pygments.formatters import HtmlFormatter

from notes.rendering.markdown_ext import (
    Deadline,
    FigureExtension,
    MathExtension,
    RenderContext,
    RenderLimits,
    RenderState,
    RenderTimeout,
    WikiLinkExtension,
)
from notes.rendering.math import MATHML_TAGS, allowed_math_attribute
from notes.rendering.plaintext import (
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
    notes.rendering.math emits, values checked (classes styled by math.css, colours, no href
    or style).
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


class Limit(StrEnum):
    LENGTH = "length"
    NESTING = "nesting"
    TIME = "time"


@dataclass(frozen=True)
class LimitProblem:
    """Why a body was not rendered as Markdown: what was found against what is allowed."""

    limit: Limit
    found: float
    allowed: float
    line: int = 0

    def warning(self) -> str:
        if self.limit == Limit.LENGTH:
            reason = f"it has {self.found:,.0f} characters, more than {self.allowed:,.0f}"
        elif self.limit == Limit.NESTING:
            reason = (
                f"lists or quotes are nested {self.found:.0f} levels deep (line {self.line}), "
                f"more than {self.allowed:.0f}"
            )
        else:
            reason = (
                f"it took more than {self.allowed:g} seconds to render (look for unclosed "
                "brackets, backticks or math delimiters)"
            )
        return f"The body is shown unformatted: {reason}."


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
    # Set when the body was over a limit and is shown as plain text.
    refused: LimitProblem | None = None


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


class _LinearTreeWalker(html5lib_shim.getTreeWalker("etree")):
    """html5lib's tree walker, but each element remembers its index in its parent.

    Fix: the stock walker looks that index up (``list(parent).index(child)``, after asserting
    it occurs once) every time it climbs back to a parent, so a parent with many children
    made sanitizing quadratic: a table of 8,000 rows took five seconds, twice what Markdown
    took to build it. The walk is the same; only the lookup is gone.
    """

    def getFirstChild(self, node):
        if isinstance(node, tuple):
            element, key, parents, flag = node
        else:
            element, key, parents, flag = node, None, [], None
        if flag in ("text", "tail"):
            return None
        if element.text:
            return element, key, parents, "text"
        if len(element):
            parents.append((element, key))
            return element[0], 0, parents, None
        return None

    def getNextSibling(self, node):
        if not isinstance(node, tuple):
            return None
        element, key, parents, flag = node
        if flag == "text":
            if len(element):
                parents.append((element, key))
                return element[0], 0, parents, None
            return None
        if element.tail and flag != "tail":
            return element, key, parents, "tail"
        if key < len(parents[-1][0]) - 1:
            return parents[-1][0][key + 1], key + 1, parents, None
        return None

    def getParentNode(self, node):
        if not isinstance(node, tuple):
            return None
        element, key, parents, flag = node
        if flag == "text":
            return (element, key, parents, None) if parents else element
        parent, parent_key = parents.pop()
        return (parent, parent_key, parents, None) if parents else parent


def _cleaner() -> bleach.Cleaner:
    cleaner = bleach.Cleaner(
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
    cleaner.walker = _LinearTreeWalker
    return cleaner


# bleach strips a disallowed tag but keeps its text, so without this the code inside a
# <script> or the rules inside a <style> an editor pasted would show up as prose on the page.
# Escaped text (code blocks, code spans) never matches; bleach still does the sanitizing.
# Only closed elements are removed, so a stray "<script" can never swallow the rest of a note.
_SCRIPT_OR_STYLE_OPEN = re.compile(r"<(script|style)\b[^>]*>", re.I)


def _drop_script_and_style(raw_html: str) -> str:
    """Each closed <script> or <style> element, with its content, removed.

    In linear time: a pattern that looks for each opening's closing tag read to the end of
    the note for every unclosed "<script", so a body of such openings took minutes."""
    lowered = raw_html.lower()
    kept: list[str] = []
    position = 0
    no_closing_after = {"script": len(raw_html) + 1, "style": len(raw_html) + 1}
    for opening in _SCRIPT_OR_STYLE_OPEN.finditer(raw_html, 0):
        if opening.start() < position:
            continue  # inside an element already removed
        name = opening.group(1).lower()
        end = None
        if opening.end() < no_closing_after[name]:
            closing = lowered.find(f"</{name}", opening.end())
            while closing != -1:
                end = _CLOSING_TAG_END.match(lowered, closing + len(name) + 2)
                if end is not None:
                    break
                closing = lowered.find(f"</{name}", closing + 1)
        if end is None:  # none after this opening, so none after any later one either
            no_closing_after[name] = min(no_closing_after[name], opening.end())
            continue
        kept.append(raw_html[position : opening.start()])
        position = end.end()
    kept.append(raw_html[position:])
    return "".join(kept)


_CLOSING_TAG_END = re.compile(r"\s*>")


def sanitize_html(raw_html: str) -> str:
    """The last step of every rendering: only allowlisted tags, attributes and URL schemes."""
    return _cleaner().clean(_drop_script_and_style(raw_html))


_SCROLL_BOX = re.compile(r"<(pre|table)(?![^>]*\btabindex=)(?=[\s>])")


def focusable_scroll_boxes(safe_html: str) -> str:
    """Code blocks and tables scroll sideways on narrow screens: keyboard users must be able
    to focus them to scroll (WCAG 2.1.1). Applied to sanitized HTML; the attribute added is
    itself on the allowlist, so the result stays a fixed point of the sanitizer."""
    return _SCROLL_BOX.sub(r'<\1 tabindex="0"', safe_html)


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


# --- Bounded cost -----------------------------------------------------------------------

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_LIST_MARKER = re.compile(r"(?:[*+-]|\d{1,9}[.)])(?:[ \t]|$)")


def nesting_depth(source: str) -> tuple[int, int]:
    """How deeply lists and block quotes nest (levels, and the first line that deep): each
    ">" is a level, as is each list item and each four columns it is indented by. Fenced code
    is left out: its indentation is code, not structure."""
    deepest, deepest_line = 0, 0
    fence = ""
    for number, line in enumerate(source.split("\n"), start=1):
        opened = _FENCE.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = ""
            continue
        if opened:
            fence = opened.group(1)
            continue
        depth, width, position = 0, 0, 0
        while position < len(line) and line[position] in "> \t":
            if line[position] == ">":
                depth += 1 + width // 4
                width = 0
            else:
                width += 4 if line[position] == "\t" else 1
            position += 1
        depth += width // 4 + (1 if _LIST_MARKER.match(line, position) else 0)
        if depth > deepest:
            deepest, deepest_line = depth, number
    return deepest, deepest_line


def check_limits(source: str, limits: RenderLimits) -> LimitProblem | None:
    """What makes a body unfit to render before any rendering: its length, its nesting.
    Linear in the body, so the admin can say so at once."""
    if len(source) > limits.body_chars:
        return LimitProblem(Limit.LENGTH, len(source), limits.body_chars)
    depth, line = nesting_depth(source)
    if depth > limits.nesting:
        return LimitProblem(Limit.NESTING, depth, limits.nesting, line)
    return None


class _WatchedPattern:
    """A compiled pattern that checks the deadline before each search."""

    def __init__(self, pattern: re.Pattern, deadline: Deadline) -> None:
        self._pattern = pattern
        self._deadline = deadline

    def search(self, *args, **kwargs):
        self._deadline.check()
        return self._pattern.search(*args, **kwargs)

    def match(self, *args, **kwargs):
        self._deadline.check()
        return self._pattern.match(*args, **kwargs)

    def finditer(self, *args, **kwargs) -> Iterator[re.Match]:
        self._deadline.check()
        for found in self._pattern.finditer(*args, **kwargs):
            yield found
            self._deadline.check()

    def __getattr__(self, name: str):
        return getattr(self._pattern, name)


def _checked(test: Callable, deadline: Deadline) -> Callable:
    def checked(*args, **kwargs):
        deadline.check()
        return test(*args, **kwargs)

    return checked


def _watch(md: markdown.Markdown, deadline: Deadline) -> None:
    """Every inline pattern's search and every block processor's test first checks the
    deadline. Markdown's inline parsing is quadratic for some input: each "[" that is never
    closed is read to the end of its paragraph, so 20 KB of "[a " took 17 seconds."""
    for pattern in md.inlinePatterns:
        pattern.compiled_re = _WatchedPattern(pattern.compiled_re, deadline)
    for processor in md.parser.blockprocessors:
        processor.test = _checked(processor.test, deadline)


@contextmanager
def _alarm(deadline: Deadline) -> Iterator[None]:
    """The deadline as a hard stop where a signal can deliver it: the main thread, where
    gunicorn's sync workers and management commands render. A single search of a regular
    expression can itself take quadratic time between two checks; Python stops it for a
    signal. Elsewhere (a threaded development server) the checks above are the bound."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    armed = [True]

    def on_alarm(signum, frame) -> None:
        if armed[0]:  # never once the block is left: the timer may fire as it is cancelled
            raise RenderTimeout

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, max(deadline.remaining(), 0.001))
    try:
        yield
    finally:
        armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)


def _unformatted(source: str, problem: LimitProblem) -> RenderResult:
    """The body as plain text, whole: what a body over a limit shows (text is never lost).

    Escaped here rather than sanitized: bleach builds a long text by appending to a string,
    which took 15 seconds for a megabyte. The control characters it would replace are
    replaced the same way, so the result is still what sanitizing leaves unchanged."""
    text = bleach.sanitizer.INVISIBLE_CHARACTERS_RE.sub(
        bleach.sanitizer.INVISIBLE_REPLACEMENT_CHAR, html.escape(source, quote=False)
    )
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
            FigureExtension(state, context),
        ],
        extension_configs=MARKDOWN_EXTENSION_CONFIGS,
        output_format="html",
    )
    _watch(md, deadline)
    toc_tokens: list[dict] = []
    try:
        with _alarm(deadline):
            try:
                raw = md.convert(source)
                toc_tokens = getattr(md, "toc_tokens", [])
            except RenderTimeout:
                raise
            except Exception as exc:
                logger.exception("Markdown rendering failed; falling back to plain text")
                state.warnings.append(
                    f"Markdown could not be rendered ({exc.__class__.__name__}); "
                    "the text is shown unformatted."
                )
                raw = f"<pre>{html.escape(source)}</pre>"
            safe_html = focusable_scroll_boxes(sanitize_html(raw))
    except RenderTimeout:
        return _unformatted(source, LimitProblem(Limit.TIME, limits.seconds, limits.seconds))
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
