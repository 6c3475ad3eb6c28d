"""Math in Markdown: formulas typeset as MathML, display equations numbered and referenced."""

from __future__ import annotations

import bisect
import html
import re
import time
import xml.etree.ElementTree as etree

from django.utils.translation import gettext_noop
from markdown import Extension, Markdown
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor

from notes.rendering.context import RenderState
from notes.rendering.editor_warnings import Message, RenderWarning
from notes.rendering.math import MathError, latex_to_mathml, plan_equations
from notes.rendering.math.engine import TIMEOUT_MS
from notes.rendering.math.numbering import REF_PATTERN, anchor_id

# Inline formulas scroll when wider than the column (phones), and a scroll box clips the ink
# glyphs draw past their box (an italic V's arm, the tip of an integral or a brace). A formula
# this short, without spacing or text macros, is never wider than a phone's column: it gets no
# scroll box (math.css, .ms-short), so nothing of it is clipped.
SHORT_INLINE_TEX = 24
_WIDE_MACROS = re.compile(r"\\(?:[hv]space|kern|mkern|mskip|hskip|quad|qquad|text|mbox|hbox|"
                          r"mathrm|operatorname|rule|phantom|hphantom)")  # fmt: skip


def _fits_any_column(tex: str) -> bool:
    return len(tex) <= SHORT_INLINE_TEX and not _WIDE_MACROS.search(tex)


def _math_html(
    md: Markdown, state: RenderState, tex: str, *, display: bool, source: str, in_text: bool = False
) -> str:
    """A formula's markup; ``in_text``: display math written inside a paragraph, boxed in a
    <span> (a <div> would end the paragraph around it)."""
    state.formulas += 1
    anchors: tuple[str, ...] = ()
    if display:
        planned = state.equations.take(tex)
        tex, anchors = planned.tex, planned.anchors
    tex, missing = state.equations.substitute_refs(tex)
    for label in missing:
        _warn_missing_label(state, label)
    limits = state.limits
    remaining = limits.math_seconds - state.math_seconds
    if state.formulas > limits.formulas or remaining <= 0:
        # Thousands of formulas (or a few slow ones) would hold the save for minutes: the
        # rest stay source, and the editor hears why once, at the first formula left out.
        if state.formulas > limits.formulas:
            warning = RenderWarning(
                gettext_noop("Formulas not typeset: a note holds at most %(count)s formulas"),
                {"count": limits.formulas},
                source=source,
            )
        else:
            warning = RenderWarning(
                gettext_noop(
                    "Formulas not typeset: the note's formulas took more than %(seconds)s seconds"
                ),
                {"seconds": f"{limits.math_seconds:g}"},
                source=source,
            )
        if warning not in state.warnings:
            state.warnings.append(warning)
        reason = str(warning).removeprefix("Formulas not typeset: ")
        return _source_box(source, f"Not typeset: {reason}", display=display)
    started = time.monotonic()
    try:
        mathml = latex_to_mathml(
            tex,
            display=display,
            source=_annotation_source(source),
            timeout_ms=max(1, int(min(TIMEOUT_MS, remaining * 1000))),
        )
    except MathError as exc:
        shown = " ".join(source.split()) if len(source) > 80 else source
        reason = exc.args[0] if exc.args and isinstance(exc.args[0], Message) else str(exc)
        state.warn(
            gettext_noop("Formula not rendered (%(reason)s): %(formula)s"),
            {"reason": reason, "formula": shown[:80]},
            source=source,
        )
        return _source_box(source, str(exc), display=display)
    finally:
        state.math_seconds += time.monotonic() - started
    if not display:
        if _fits_any_column(tex):
            return mathml.replace("<math", '<math class="ms-short"', 1)
        return mathml
    # The box scrolls a formula wider than the column, so it must take keyboard focus.
    ids = "".join(f'<span class="eq-anchor" id="{html.escape(a)}"></span>' for a in anchors[1:])
    first = f' id="{html.escape(anchors[0])}"' if anchors else ""
    box = "span" if in_text else "div"
    return f'<{box} class="math-display" tabindex="0"{first}>{ids}{mathml}</{box}>'


def _warn_missing_label(state: RenderState, label: str) -> None:
    state.warn(
        gettext_noop("No equation is labelled “%(label)s” (\\label{%(label)s})"),
        {"label": label},
        source=re.compile(r"\\(?:eqref|ref)\s*\{\s*" + re.escape(label) + r"\s*\}"),
    )


def _source_box(source: str, message: str, *, display: bool) -> str:
    """A formula that is not typeset: its source in a marked box, the reason as its tooltip."""
    tag = "div" if display else "span"
    return (
        f'<{tag} class="math-error" title="{html.escape(message)}">'
        f"<code>{html.escape(source)}</code></{tag}>"
    )


_DELIMITERS = re.compile(r"^(\$\$|\\\[|\\\(|\$)(.*?)(\$\$|\\\]|\\\)|\$)$", re.S)


def _annotation_source(source: str) -> str:
    """The LaTeX kept in the formula's <annotation>: as written, without its delimiters."""
    found = _DELIMITERS.match(source.strip())
    return found.group(2).strip() if found else source.strip()


class InlineMathProcessor(InlineProcessor):
    def __init__(self, pattern: str, md: Markdown, state: RenderState, *, display: bool) -> None:
        super().__init__(pattern, md)
        self.state = state
        self.display = display

    def handleMatch(self, m: re.Match[str], data: str):
        source = m.group(0)
        markup = _math_html(
            self.md, self.state, m.group(1), display=self.display, source=source, in_text=True
        )
        end = m.end(0)
        if not self.display:
            # Closing punctuation right after a formula stays on its line: no line of a
            # paragraph starts with "，" or ")" because the formula before it could not break.
            punctuation = _TRAILING_PUNCTUATION.match(data, end)
            if punctuation and punctuation.group(0) and markup.startswith("<math"):
                markup = _glue_punctuation(markup, punctuation.group(0))
                end = punctuation.end()
        return self.md.htmlStash.store(markup), m.start(0), end


def _glue_punctuation(mathml: str, punctuation: str) -> str:
    """Keep closing punctuation on the line of the formula before it.

    A formula Temml split into rows (it may wrap) takes the punctuation into its last row;
    an unbreakable one shares a no-wrap box with it.
    """
    text = html.escape(punctuation, quote=False)
    last_row_end = mathml.rfind("</mrow></mrow><annotation")
    if '<mrow class="ms-wrap">' in mathml and last_row_end != -1:
        return f"{mathml[:last_row_end]}<mtext>{text}</mtext>{mathml[last_row_end:]}"
    return f'<span class="math-inline">{mathml}{text}</span>'


# Not "]": it closes the text of a link or an image ("[损失 $L$](fig.png)"), which taken
# into the formula's box would leave the link unparsed.
_TRAILING_PUNCTUATION = re.compile(r"[，。、；：！？）」』”’》〉,.;:!?)]{1,3}")


class EquationReferenceProcessor(InlineProcessor):
    """``\\eqref{eq:loss}`` in prose: a link "(2)" to the labelled equation."""

    def __init__(self, md: Markdown, state: RenderState) -> None:
        super().__init__(REF_PATTERN, md)
        self.state = state

    def handleMatch(self, m: re.Match[str], data: str):
        kind, label = m.group(1), m.group(2).strip()
        shown = self.state.equations.labels.get(label)
        if shown is None:
            _warn_missing_label(self.state, label)
            element = etree.Element("span", {"class": "eqref-missing"})
            element.set("title", f"No equation labelled “{label}”")
            element.text = f"({label}?)" if kind == "eqref" else f"{label}?"
            return element, m.start(0), m.end(0)
        element = etree.Element("a", {"class": "eqref", "href": f"#{anchor_id(label)}"})
        element.text = f"({shown})" if kind == "eqref" else shown
        return element, m.start(0), m.end(0)


class EquationPlanPreprocessor(Preprocessor):
    """Numbers the note's display formulas before any is converted, so a reference may come
    before the equation it names."""

    def __init__(self, md: Markdown, state: RenderState) -> None:
        super().__init__(md)
        self.state = state

    def run(self, lines: list[str]) -> list[str]:
        text = _CODE_SPAN.sub(" ", "\n".join(lines))
        formulas = [
            m.group(1) or m.group(2) or m.group(3) for m in _DISPLAY_ANYWHERE.finditer(text)
        ]
        self.state.equations = plan_equations(formulas)
        self.state.warnings.extend(self.state.equations.warnings)
        return lines


# LaTeX's display environments, typeset as display math when written without "$$" on lines
# of their own (as a paper's source has them).
DISPLAY_ENVIRONMENTS = ("equation", "align", "gather", "multline", "alignat", "flalign",
                        "eqnarray")  # fmt: skip
_ENVIRONMENT = rf"(?:{'|'.join(DISPLAY_ENVIRONMENTS)})\*?"

_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
# An environment runs to its first \end, unless it is opened again first (then it is never
# closed, as DisplayMathPreprocessor decides too): each search stops at the next \begin.
_DISPLAY_ANYWHERE = re.compile(
    r"(?<!\\)\$\$(.+?)\$\$|\\\[(.+?)\\\]"
    rf"|^ {{0,3}}(\\begin\{{({_ENVIRONMENT})\}}(?:(?!\\(?:begin|end)\{{\4\}}).)*\\end\{{\4\}})",
    re.S | re.M,
)


# What of a rendered body is not shown as its text: code, formulas, and source boxes of
# formulas already warned about.
_NOT_PROSE = re.compile(r"<(pre|code|math)\b.*?</\1>", re.S)
_ENVIRONMENT_IN_TEXT = re.compile(rf"\\begin\{{({_ENVIRONMENT})\}}")


def warn_environments_left_as_text(rendered_html: str, state: RenderState) -> None:
    """An environment the preprocessor could not take (inside a quote or a list item, or
    after text on its line) is printed as LaTeX: never without telling the editor."""
    closed_warned = {
        warning.params.get("environment")
        for warning in state.warnings
        if "is never closed" in getattr(warning, "msgid", "")
    }
    prose = _NOT_PROSE.sub(" ", rendered_html)
    for name in dict.fromkeys(_ENVIRONMENT_IN_TEXT.findall(prose)):
        if name in closed_warned:
            continue
        state.warn(
            gettext_noop(
                "\\begin{%(environment)s} is shown as text: write the environment on lines of "
                "its own, outside quotes and lists, or put it between $$ and $$"
            ),
            {"environment": name},
            source=re.compile(rf"\\begin\{{{re.escape(name)}\}}"),
        )


# A dollar opens math only when followed by a non-space and closes only after a non-space and
# before a non-digit, so "$5 到 $10" stays text (the rule pandoc uses). "\$" is a literal dollar.
INLINE_DOLLAR_RE = r"(?<![\\$])\$(?![\s$])((?:\\.|[^\\$\n])+?)(?<![\s\\])\$(?![\d$])"
INLINE_PAREN_RE = r"\\\((.+?)\\\)"
DISPLAY_DOLLAR_RE = r"(?<!\\)\$\$(.+?)\$\$"
DISPLAY_BRACKET_RE = r"\\\[(.+?)\\\]"

_BLOCK_OPEN = re.compile(r"^ {0,3}(\$\$|\\\[)(.*)$")
_DISPLAY_DELIMITER = re.compile(r"(?<!\\)\$\$|\\\[|\\\]")
_CODE_IN_LINE = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)")
_ENVIRONMENT_OPEN = re.compile(rf"^ {{0,3}}\\begin\{{({_ENVIRONMENT})\}}")


def _environment_end(lines: list[str], start: int, column: int, name: str) -> tuple[int, int]:
    """Where the environment opened at ``lines[start]`` (its \\begin ending at ``column``)
    ends: the line of its \\end and the column after it; (-1, -1) when it is never closed,
    or opened again before it is."""
    opener, closer = rf"\begin{{{name}}}", rf"\end{{{name}}}"
    for index in range(start, len(lines)):
        line = lines[index]
        closed, reopened = line.find(closer, column), line.find(opener, column)
        if closed != -1 and (reopened == -1 or closed < reopened):
            return index, closed + len(closer)
        if reopened != -1:
            break
        column = 0
    return -1, -1


class DisplayMathPreprocessor(Preprocessor):
    """Display math on lines of its own may span blank lines and lines that look like Markdown
    (``- x``, ``# y``); it is converted before the block parser can take it apart. So are
    LaTeX's display environments written without "$$" (``\\begin{align}`` at a line's start),
    their ``\\\\`` out of reach of Markdown's escapes."""

    def __init__(self, md: Markdown, state: RenderState) -> None:
        super().__init__(md)
        self.state = state

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        # Where each environment is opened, to tell which one a warning is about.
        openings: dict[str, list[int]] = {}
        for index, line in enumerate(lines):
            if found := _ENVIRONMENT_OPEN.match(line):
                openings.setdefault(found.group(1), []).append(index)
        # The display math a paragraph left open ("Text $$" on the line above): an
        # environment inside it is that formula's, for the inline pattern to typeset.
        inside: str | None = None

        def keep(line: str) -> None:
            nonlocal inside
            out.append(line)
            if not line.strip():
                inside = None
                return
            for delimiter in _DISPLAY_DELIMITER.findall(_CODE_IN_LINE.sub(" ", line)):
                if inside is None and delimiter != "\\]":
                    inside = delimiter
                elif (inside, delimiter) in (("$$", "$$"), ("\\[", "\\]")):
                    inside = None

        i = 0
        while i < len(lines):
            environment = _ENVIRONMENT_OPEN.match(lines[i])
            if environment and inside is None:
                i = self._environment(lines, i, environment, openings, out)
                continue
            opening = _BLOCK_OPEN.match(lines[i])
            if not opening or inside is not None:  # text, or the closer of the open formula
                keep(lines[i])
                i += 1
                continue
            delimiter = opening.group(1)
            closer = "$$" if delimiter == "$$" else "\\]"
            rest = opening.group(2)
            if closer in rest:  # one-line $$...$$: also fine for the inline pattern, but
                body, _, tail = rest.partition(closer)  # text after it stays Markdown
                if tail.strip():
                    keep(lines[i])
                    i += 1
                    continue
                end, collected = i, [body]
            else:
                collected = [rest]
                end = i + 1
                while end < len(lines) and closer not in lines[end]:
                    # Each unclosed opening scans to the end: quadratic in the lines.
                    self.state.check()
                    collected.append(lines[end])
                    end += 1
                if end == len(lines):  # never closed: leave the text to Markdown, untouched
                    keep(lines[i])
                    i += 1
                    continue
                body, _, tail = lines[end].partition(closer)
                if tail.strip():
                    keep(lines[i])
                    i += 1
                    continue
                collected.append(body)
            tex = "\n".join(collected).strip()
            source = "\n".join(lines[i : end + 1]).strip()
            markup = _math_html(self.md, self.state, tex, display=True, source=source)
            out.extend(["", self.md.htmlStash.store(markup), ""])
            i = end + 1
        return out

    def _environment(
        self,
        lines: list[str],
        i: int,
        opening: re.Match[str],
        openings: dict[str, list[int]],
        out: list[str],
    ) -> int:
        """Typesets the environment opened at ``lines[i]`` as display math (text after its
        \\end stays Markdown, a paragraph of its own); returns the line after it."""
        self.state.check()
        name = opening.group(1)
        end, column = _environment_end(lines, i, opening.end(), name)
        if end == -1:
            # Markdown would print the LaTeX with its "\\" eaten: the editor must hear of it.
            self.state.warn(
                gettext_noop(
                    "\\begin{%(environment)s} is never closed: write \\end{%(environment)s} "
                    "where the formula ends (until then it is shown as text)"
                ),
                {"environment": name},
                source=re.compile(rf"^ {{0,3}}\\begin\{{{re.escape(name)}\}}", re.M),
                nth=bisect.bisect_left(openings[name], i),
            )
            out.append(lines[i])
            return i + 1
        start = lines[i].index("\\begin")
        if end == i:
            source = lines[i][start:column]
        else:
            source = "\n".join([lines[i][start:], *lines[i + 1 : end], lines[end][:column]])
        tail = lines[end][column:]
        markup = _math_html(self.md, self.state, source.strip(), display=True, source=source)
        out.extend(["", self.md.htmlStash.store(markup), ""])
        if tail.strip():
            out.extend([tail.strip(), ""])
        return end + 1


class MathExtension(Extension):
    def __init__(self, state: RenderState, **kwargs) -> None:
        self.state = state
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:
        if "$" not in md.ESCAPED_CHARS:
            md.ESCAPED_CHARS.append("$")
        # Below fenced code (25) so code blocks are already set aside.
        md.preprocessors.register(DisplayMathPreprocessor(md, self.state), "display_math", 24)
        md.preprocessors.register(EquationPlanPreprocessor(md, self.state), "equations", 24.5)
        # Above escapes (180) so "\(" and "\[" reach us; below code spans (190) so "$" in
        # inline code stays code.
        patterns = [
            (DISPLAY_DOLLAR_RE, True, "math_display_dollar", 188),
            (DISPLAY_BRACKET_RE, True, "math_display_bracket", 187),
            (INLINE_PAREN_RE, False, "math_inline_paren", 186),
            (INLINE_DOLLAR_RE, False, "math_inline_dollar", 185),
        ]
        for pattern, display, name, priority in patterns:
            processor = InlineMathProcessor(pattern, md, self.state, display=display)
            processor.compiled_re = re.compile(pattern, re.DOTALL | re.UNICODE)
            md.inlinePatterns.register(processor, name, priority)
        md.inlinePatterns.register(EquationReferenceProcessor(md, self.state), "eqref", 184)
