"""Images as figures (lazy, sized, captioned), and attributes that keep text, never markup."""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from django.utils.translation import gettext_noop
from markdown import Extension, Markdown, util
from markdown.treeprocessors import Treeprocessor

from notes.rendering.context import RenderContext, RenderState
from notes.rendering.plaintext import plain_text


class FigureTreeprocessor(Treeprocessor):
    """An image alone in its paragraph becomes a <figure>, captioned by its Markdown title;
    every image gets lazy loading and, when the upload is known, its width and height."""

    def __init__(self, md: Markdown, state: RenderState, context: RenderContext) -> None:
        super().__init__(md)
        self.state = state
        self.context = context

    def run(self, root: etree.Element) -> None:
        # Each image once: a lone image is met as a paragraph's child and again in its figure,
        # and its warning must not count as a second image with the same address.
        self.decorated: set[int] = set()
        for parent in root.iter():
            for index, child in enumerate(list(parent)):
                if child.tag == "img":
                    self._decorate(child)
                if child.tag == "p" and self._is_lone_image(child):
                    parent[index] = self._figure(child[0])

    @staticmethod
    def _is_lone_image(paragraph: etree.Element) -> bool:
        return (
            len(paragraph) == 1
            and paragraph[0].tag == "img"
            and not (paragraph.text or "").strip()
            and not (paragraph[0].tail or "").strip()
        )

    def _decorate(self, img: etree.Element) -> None:
        if id(img) in self.decorated:
            return
        self.decorated.add(id(img))
        img.set("loading", "lazy")
        size = self.context.image_sizes.get(img.get("src", ""))
        if size:
            img.set("width", str(size[0]))
            img.set("height", str(size[1]))
        if not (img.get("alt") or "").strip():
            self.state.warn(
                gettext_noop("Image without alt text (describe it for screen readers): %(src)s"),
                {"src": img.get("src", "")},
                source=img.get("src", ""),
            )

    def _figure(self, img: etree.Element) -> etree.Element:
        self._decorate(img)
        figure = etree.Element("figure")
        img.tail = None
        figure.append(img)
        caption = img.attrib.pop("title", "")
        if caption:
            figcaption = etree.SubElement(figure, "figcaption")
            figcaption.text = caption
        return figure


class FigureExtension(Extension):
    def __init__(self, state: RenderState, context: RenderContext, **kwargs) -> None:
        self.state = state
        self.context = context
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:
        md.treeprocessors.register(FigureTreeprocessor(md, self.state, self.context), "figure", 5)
        md.treeprocessors.register(AttributeTextTreeprocessor(md), "attribute_text", 1)


# --- Markup set aside inside attributes ------------------------------------------------


class AttributeTextTreeprocessor(Treeprocessor):
    """Attributes hold the text of markup Markdown set aside, never the markup.

    A formula or inline HTML inside an image's alt text or a link's title
    (``![损失 $L(\\theta)$](fig.png)``) leaves Markdown's placeholder in the attribute, and
    Markdown would put the MathML back there verbatim: its first quote would close the
    attribute, and a quote typed in ``\\text{…}`` could start attributes of its own. The
    attribute gets the formula as text (``L(θ)``) instead, as an excerpt reads it.
    """

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            for name, value in element.attrib.items():
                if util.STX in value:
                    element.set(name, util.HTML_PLACEHOLDER_RE.sub(self._text, value))

    def _text(self, match: re.Match[str]) -> str:
        try:
            raw = self.md.htmlStash.rawHtmlBlocks[int(match.group(1))]
        except (IndexError, ValueError):
            return ""
        return plain_text(str(raw), prose_only=False)
