"""LaTeX → MathML for notes, done once at save time: Temml's output, on the site's allowlist.

``engine`` runs Temml; ``markup`` brings its MathML onto the allowlist and the strict CSP;
``numbering`` decides equation numbers, labels and references for a whole note.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from collections import OrderedDict
from html import escape

from django.utils.translation import gettext_noop

from notes.rendering.editor_warnings import Message
from notes.rendering.math.engine import TIMEOUT_MS, MathError, render_to_string
from notes.rendering.math.markup import (
    MATH_CLASSES,
    MATHML_ATTRIBUTES,
    MATHML_TAGS,
    allowed_math_attribute,
    rewrite,
    serialize,
)
from notes.rendering.math.numbering import EquationPlan, plan_equations

__all__ = [
    "MATHML_ATTRIBUTES",
    "MATHML_TAGS",
    "MATH_CLASSES",
    "EquationPlan",
    "MathError",
    "allowed_math_attribute",
    "latex_to_mathml",
    "plan_equations",
]

MAX_FORMULA_LENGTH = 20_000
# Formulas typeset recently, by (LaTeX, display, annotation): the same "$W_0$" or "$\\theta$"
# recurs across a site's notes, and an import or `rerender_notes` typesets every note at
# once. Temml is pure (the same input, the same MathML), so a hit is exactly a new run.
TYPESET_CACHE_SIZE = 4096
_typeset: OrderedDict[tuple[str, bool, str], str] = OrderedDict()
_DOUBLED_BACKSLASH = re.compile(r"(?<!\\)\\\\([a-zA-Z]{2,})")


def latex_to_mathml(
    tex: str, *, display: bool, source: str | None = None, timeout_ms: int = TIMEOUT_MS
) -> str:
    """The MathML of one formula, with ``source`` (default: ``tex``) kept as its annotation.

    Raises MathError, with a message for the author, when the formula cannot be typeset
    (within ``timeout_ms``: a note's formulas share a budget, see
    notes.rendering.markdown_ext.math).
    """
    if not isinstance(tex, str):
        raise MathError(Message(gettext_noop("a formula must be text")))
    if not tex.strip():
        raise MathError(Message(gettext_noop("the formula is empty")))
    if len(tex) > MAX_FORMULA_LENGTH:
        raise MathError(
            Message(
                gettext_noop("the formula is longer than %(count)s characters"),
                {"count": MAX_FORMULA_LENGTH},
            )
        )
    doubled = _DOUBLED_BACKSLASH.search(tex)
    if doubled:
        # "\\frac" is a line break and the letters f-r-a-c: almost always an escaping slip.
        raise MathError(
            Message(
                gettext_noop(
                    "“\\\\%(command)s” has a doubled backslash: write \\%(command)s, "
                    "or put a space after \\\\ for a line break"
                ),
                {"command": doubled.group(1)},
            )
        )
    key = (tex, display, source if source is not None else tex)
    mathml = _typeset.get(key)
    if mathml is not None:
        _typeset.move_to_end(key)
        return mathml
    mathml = _typeset_formula(tex, display=display, source=source, timeout_ms=timeout_ms)
    _typeset[key] = mathml
    if len(_typeset) > TYPESET_CACHE_SIZE:
        _typeset.popitem(last=False)
    return mathml


def _typeset_formula(tex: str, *, display: bool, source: str | None, timeout_ms: int) -> str:
    try:
        root, _dropped = rewrite(render_to_string(tex, display=display, timeout_ms=timeout_ms))
    except etree.ParseError as exc:  # never expected from Temml; refuse rather than guess
        raise MathError(Message(gettext_noop("the formula could not be read back"))) from exc
    children = list(root)
    for child in children:
        root.remove(child)
    semantics = etree.SubElement(root, "semantics")
    if len(children) > 1:
        # Temml broke an inline formula into rows a line may wrap between. A <semantics>
        # holds one expression and shows only that, so the rows go into one <mrow> that
        # math.css lays out as a wrapping line of boxes.
        rows = etree.SubElement(semantics, "mrow", {"class": "ms-wrap"})
        rows.extend(children)
    else:
        semantics.extend(children)
    annotation = etree.SubElement(semantics, "annotation", {"encoding": "application/x-tex"})
    annotation.text = source if source is not None else tex
    return serialize(root)


def escape_source(source: str) -> str:
    return escape(source)
