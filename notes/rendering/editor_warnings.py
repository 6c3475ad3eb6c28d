"""Warnings for the editor: English text as stored, translated when shown, with their line."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext

# Where a warning's cause is: text as written in the body, or a pattern matching it there.
Source = str | re.Pattern[str]


class Message(str):
    """Text for an editor. The string itself is its English wording, what rendering stores
    and logs whatever language is active (rendering stays pure); ``translated()`` is the
    wording in the active language, for the admin to show.

    The message id must be a literal marked with ``gettext_noop`` where it is written, so
    ``makemessages`` finds it; values that are Messages themselves are translated too."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, params: Mapping[str, Any] | None = None) -> Message:
        values = dict(params or {})
        message = super().__new__(cls, msgid % values if values else msgid)
        message.msgid = msgid
        message.params = values
        return message

    def translated(self) -> str:
        values = {name: translated(value) for name, value in self.params.items()}
        wording = gettext(self.msgid) if self.msgid else ""  # gettext("") is the header
        try:
            return wording % values if values else wording
        except (KeyError, TypeError, ValueError):  # a translation with a broken placeholder
            return str(self)


def translated(text: object) -> object:
    """``text`` in the active language when it is a Message, else as it is."""
    return text.translated() if isinstance(text, Message) else text


class RenderWarning(Message):
    """A warning of one rendering, and the 1-based line of the body where its cause is (None
    when it concerns the whole note, such as a limit).

    Until the pipeline places it (``placed``), ``source`` says what to look for: the text as
    written, or a pattern; ``nth`` (from 0) which occurrence, when the producer knows."""

    line: int | None
    source: Source | None
    nth: int | None

    def __new__(
        cls,
        msgid: str,
        params: Mapping[str, Any] | None = None,
        *,
        source: Source | None = None,
        nth: int | None = None,
        line: int | None = None,
    ) -> RenderWarning:
        warning = super().__new__(cls, msgid, params)
        warning.source = source or None
        warning.nth = nth
        warning.line = line
        return warning

    def __repr__(self) -> str:
        return f"RenderWarning({str(self)!r}, line={self.line!r})"


def warning_line(warning: str) -> int | None:
    """The line a stored or fresh warning points at (None for a plain string)."""
    return getattr(warning, "line", None)


# --- Placing warnings on their lines -------------------------------------------------------

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
# Within one line: a span over lines is rare, and a lone backtick must not blank a paragraph.
_CODE_SPAN = re.compile(r"(?<![\\`])(`+)(?!`)[^\n]+?(?<!`)\1(?!`)")
# Text this long is looked for with any spacing (and quote markers) between its characters.
_FLEXIBLE_MAX = 200


def _without_code(body: str) -> str:
    """The body with fenced code and code spans blanked, newlines and offsets kept: a warning's
    text is found where it caused the warning, not in an example of it in code."""
    lines = body.split("\n")
    fence = ""
    for index, line in enumerate(lines):
        opened = _FENCE.match(line)
        if fence:
            closing = opened and opened.group(1)[0] == fence[0]
            if closing and len(opened.group(1)) >= len(fence) and not line[opened.end() :].strip():
                fence = ""
            lines[index] = " " * len(line)
        elif opened:
            fence = opened.group(1)
            lines[index] = " " * len(line)
    return _CODE_SPAN.sub(lambda found: " " * len(found.group(0)), "\n".join(lines))


def _patterns(source: Source) -> list[re.Pattern[str]]:
    """What to look for, in order: the text as written, with any spacing, then its first line
    (a formula in a quote or list lost its line prefixes on the way)."""
    if isinstance(source, re.Pattern):
        return [source]
    texts = [source]
    first = next((line.strip() for line in source.split("\n") if line.strip()), "")
    if first and first != source:
        texts.append(first)
    patterns = []
    for text in texts:
        patterns.append(re.compile(re.escape(text)))
        chars = [char for char in text if not char.isspace()]
        if 0 < len(chars) <= _FLEXIBLE_MAX:
            patterns.append(re.compile(r"[\s>]*".join(re.escape(char) for char in chars)))
    return patterns


class _Finder:
    """Looks for warnings' sources in one body, each pattern compiled once and each list of
    occurrences read once (a note may repeat one warning thousands of times)."""

    def __init__(self, body: str) -> None:
        self.text = _without_code(body)
        self.starts = [0, *(found.end() for found in re.finditer("\n", body))]
        self.patterns: dict[str | re.Pattern[str], list[re.Pattern[str]]] = {}
        self.occurrences: dict[re.Pattern[str], list[re.Match[str]]] = {}

    def find(self, source: Source, start: int, nth: int | None) -> re.Match[str] | None:
        if source not in self.patterns:
            self.patterns[source] = _patterns(source)
        for pattern in self.patterns[source]:
            if nth is None:
                found = pattern.search(self.text, start)
            else:
                if pattern not in self.occurrences:
                    self.occurrences[pattern] = list(pattern.finditer(self.text))
                matches = self.occurrences[pattern]
                found = matches[nth] if nth < len(matches) else None
            if found:
                return found
        return None

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


def placed(warnings: Iterable[str], body: str) -> tuple[RenderWarning, ...]:
    """Each warning with the line of ``body`` its cause is on, in line order (those of the
    whole note last), a repeated warning kept once per line.

    Found by text, not by index: Markdown's preprocessors (fenced code) shift line indices.
    The same warning with the same source takes the next occurrence each time, so two
    unresolved ``[[x]]`` on lines 3 and 9 are both reported."""
    finder: _Finder | None = None
    # (text, source) -> (offset to search from, line of the last occurrence taken)
    resume: dict[tuple[str, str], tuple[int, int | None]] = {}
    result: list[RenderWarning] = []
    for warning in warnings:
        if not isinstance(warning, RenderWarning):
            warning = RenderWarning(str(warning))
        if warning.line is None and warning.source is not None:
            finder = finder or _Finder(body)
            source = warning.source
            key = (str(warning), source.pattern if isinstance(source, re.Pattern) else source)
            offset, last_line = resume.get(key, (0, None))
            found = finder.find(source, offset, warning.nth)
            if found is not None:
                warning.line = finder.line(found.start())
                resume[key] = (max(found.end(), found.start() + 1), warning.line)
            else:
                # The same cause reported again: its line; and no search for it again.
                warning.line = last_line
                resume[key] = (len(finder.text) + 1, last_line)
        warning.source, warning.nth = None, None
        result.append(warning)
    seen: set[tuple[str, int | None]] = set()
    unique = []
    for warning in result:
        if (str(warning), warning.line) not in seen:
            seen.add((str(warning), warning.line))
            unique.append(warning)
    unique.sort(key=lambda warning: (warning.line is None, warning.line or 0))
    return tuple(unique)
