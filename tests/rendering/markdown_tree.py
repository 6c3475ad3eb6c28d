"""A small DOM of rendered HTML, shared by the Markdown pipeline tests (test_markdown_ext_*.py).

Rendering is pure (no database): link targets and image sizes arrive through RenderContext,
so those tests are plain pytest functions over ``render_markdown``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

from notes.rendering import RenderContext, RenderResult, render_markdown

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
