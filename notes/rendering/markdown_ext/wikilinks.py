"""Wiki links between notes, ``[[target|shown text]]``, resolved through the RenderContext."""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from django.utils.translation import gettext_noop
from markdown import Extension, Markdown, util
from markdown.inlinepatterns import InlineProcessor

from notes.rendering.context import RenderContext, RenderState


def wiki_key(text: str) -> str:
    """The form a link target is matched in: case- and space-insensitive."""
    return " ".join(text.split()).casefold()


# The alias pipe may be escaped, "[[lora\|LoRA]]", as it must be inside a table cell.
WIKI_LINK_RE = r"\[\[([^\[\]|\n]+?)(?:\\?\|([^\[\]\n]+?))?\]\]"
# What Markdown's escape pattern leaves for an escaped character ("\|" -> STX 124 ETX).
_ESCAPED_CHAR_RE = re.compile(f"{util.STX}([0-9]+){util.ETX}")


def find_wiki_targets(source: str) -> list[str]:
    """The link targets a Markdown source mentions, as written (spaces collapsed), so a caller
    can look them all up at once."""
    return [" ".join(m.group(1).split()) for m in re.finditer(WIKI_LINK_RE, source)]


def find_wiki_keys(source: str) -> list[str]:
    return [wiki_key(target) for target in find_wiki_targets(source)]


def _written(target: str) -> re.Pattern[str]:
    """Where ``[[target`` is written, however spaced and with Markdown's escapes ("a\\_b")."""
    words = (
        "".join(re.escape(char) if char.isalnum() else r"\\?" + re.escape(char) for char in word)
        for word in target.split()
    )
    return re.compile(r"\[\[\s*" + r"\s+".join(words) + r"\s*(?:\\?\||\]\])")


class WikiLinkProcessor(InlineProcessor):
    def __init__(self, md: Markdown, state: RenderState, context: RenderContext) -> None:
        super().__init__(WIKI_LINK_RE, md)
        self.state = state
        self.context = context

    def handleMatch(self, m: re.Match[str], data: str):
        # Markdown's escapes run first, so an escaped pipe ("[[lora\|LoRA]]", as a table cell
        # requires) arrives as a placeholder: restore the text, then split the alias.
        inner = _ESCAPED_CHAR_RE.sub(lambda e: chr(int(e.group(1))), self.unescape(m.group(1)))
        target_text, _, alias = inner.partition("|")
        target_text = target_text.strip()
        shown = (m.group(2) or alias).strip()
        key = wiki_key(target_text)
        target = self.context.resolve_link(key)
        self.state.links[key] = target.slug if target else None
        written = _written(target_text)
        if target is None:
            self.state.warn(
                gettext_noop("Unresolved link: [[%(target)s]]"),
                {"target": target_text},
                source=written,
            )
            element = etree.Element("span", {"class": "wikilink-missing"})
            element.set("title", f"No note called “{target_text}” yet")
            element.text = shown or target_text
            return element, m.start(0), m.end(0)
        if not target.is_public:
            self.state.warn(
                gettext_noop("[[%(target)s]] links to a note readers cannot see yet (%(slug)s)"),
                {"target": target_text, "slug": target.slug},
                source=written,
            )
        element = etree.Element("a", {"href": target.url, "class": "wikilink"})
        element.set("title", target.title)
        element.text = shown or target.short_title or target.title
        return element, m.start(0), m.end(0)


class WikiLinkExtension(Extension):
    def __init__(self, state: RenderState, context: RenderContext, **kwargs) -> None:
        self.state = state
        self.context = context
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:
        # Above Markdown links (160) so "[[x]]" is not read as a reference link "[x]".
        md.inlinePatterns.register(WikiLinkProcessor(md, self.state, self.context), "wikilink", 175)
