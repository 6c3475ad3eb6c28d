"""Python-Markdown extensions for research notes: math, wiki links between notes, figures.

Each extension reports what it saw (formulas that failed, links and where they point,
images without alt text) through a shared ``RenderState`` so the pipeline in
``notes.rendering`` can tell the editor, store link targets and so on. Nothing here touches
the database: link targets and image sizes arrive through ``RenderContext``.
"""

from notes.rendering.markdown_ext.figures import FigureExtension
from notes.rendering.markdown_ext.math import MathExtension
from notes.rendering.markdown_ext.wikilinks import (
    WikiLinkExtension,
    find_wiki_keys,
    find_wiki_targets,
    wiki_key,
)

__all__ = [
    "FigureExtension", "MathExtension", "WikiLinkExtension", "find_wiki_keys",
    "find_wiki_targets", "wiki_key",
]  # fmt: skip
