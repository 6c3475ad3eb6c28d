"""Temml's MathML, rewritten for the site's allowlist and strict CSP.

Temml styles some elements inline (``style="border-right:0.06em solid"``); a strict
``style-src`` drops those, so each declaration Temml is known to write becomes a class defined
in ``static/css/math.css``. Colours become the MathML Core attributes ``mathcolor`` and
``mathbackground``. Anything not on the lists below is dropped, so the output is exactly the
allowlist, however Temml changes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from html import escape

MATHML_TAGS: frozenset[str] = frozenset(
    {
        "annotation", "math", "menclose", "merror", "mfrac", "mi", "mmultiscripts", "mn", "mo",
        "mover", "mpadded", "mphantom", "mprescripts", "mroot", "mrow", "ms", "mspace",
        "msqrt", "mstyle", "msub", "msubsup", "msup", "mtable", "mtd", "mtext", "mtr",
        "munder", "munderover", "none", "semantics",
    }
)  # fmt: skip

# Per element: the attributes kept. "class" values are checked against MATH_CLASSES and
# colours against _COLOR; no href, src, style or event handler is ever kept.
_COMMON = ("class", "displaystyle", "scriptlevel", "mathcolor", "mathbackground", "dir")
MATHML_ATTRIBUTES: dict[str, list[str]] = {
    "annotation": ["encoding"],
    "semantics": ["class"],
    "math": ["display", "class"],
    "menclose": ["notation", *_COMMON],
    "mfrac": ["linethickness", *_COMMON],
    "mi": ["mathvariant", *_COMMON],
    "mn": list(_COMMON),
    "mo": [
        "accent", "fence", "form", "largeop", "linebreak", "lspace", "maxsize", "minsize",
        "movablelimits", "rspace", "separator", "stretchy", "symmetric", *_COMMON,
    ],
    "mover": ["accent", *_COMMON],
    "munder": ["accentunder", *_COMMON],
    "munderover": ["accent", "accentunder", *_COMMON],
    "mpadded": ["depth", "height", "lspace", "voffset", "width", *_COMMON],
    "mspace": ["depth", "height", "width", *_COMMON],
    "mtable": ["columnalign", "rowspacing", "columnspacing", *_COMMON],
    "mtd": ["columnspan", "rowspan", *_COMMON],
    **{
        name: list(_COMMON)
        for name in (
            "merror", "mmultiscripts", "mphantom", "mroot", "mrow", "ms", "msqrt", "mstyle",
            "msub", "msubsup", "msup", "mtext", "mtr",
        )
        if name != "semantics"
    },
}  # fmt: skip

# Temml's own classes, styled by math.css (from Temml-Latin-Modern.css).
TEMML_CLASSES = frozenset(
    {
        "actuarial", "cancel", "chr-lrg", "chr-lrg-vec", "chr-med", "chr-med-vec", "chr-sml",
        "chr-sml-vec", "circle-pad", "downstrike",
        "longdiv-arc", "longdiv-top", "mathcal", "mathscr", "menclose", "phasor-angle",
        "phasor-bottom", "sout", "special-fraction", "textcircle", "tml-cancel",
        "tml-cancelto", "tml-display", "tml-eqn", "tml-fbox", "tml-hat-1", "tml-hat-2",
        "tml-hat-3", "tml-hat-4", "tml-jot", "tml-label", "tml-left", "tml-lrg-pad",
        "tml-med-pad", "tml-overline", "tml-prime", "tml-right", "tml-shift-left",
        "tml-sml-pad", "tml-small", "tml-tag", "tml-tageqn", "tml-tilde-2", "tml-tilde-3",
        "tml-tilde-4", "tml-underline", "tml-vec", "tml-xcancel", "upstrike", "wbk-acc",
        "wbk-lrg", "wbk-lrg-acc", "wbk-lrg-vec", "wbk-med", "wbk-med-acc", "wbk-med-vec",
        "wbk-sml", "wbk-sml-acc", "wbk-sml-vec",
    }
)  # fmt: skip

# Classes Temml writes as markers only (no rule in math.css needs them in Chromium).
MARKER_CLASSES = frozenset({"cancel", "mathcal", "tml-label", "tml-tageqn", "tml-vec"})

# Each inline declaration Temml writes, and the class in math.css that does the same.
STYLE_CLASSES: dict[str, str] = {
    # Array rules (\hline, \hdashline, | and : in the column spec).
    "border-top:0.06em solid": "ms-rule-t",
    "border-top:0.06em dashed": "ms-rule-t-dash",
    "border-top:0.15em double": "ms-rule-t-dbl",
    "border-bottom:0.06em solid": "ms-rule-b",
    "border-bottom:0.06em dashed": "ms-rule-b-dash",
    "border-bottom:0.15em double": "ms-rule-b-dbl",
    "border-left:0.06em solid": "ms-rule-l",
    "border-left:0.06em dashed": "ms-rule-l-dash",
    "border-left:0.15em double": "ms-rule-l-dbl",
    "border-right:0.06em solid": "ms-rule-r",
    "border-right:0.06em dashed": "ms-rule-r-dash",
    "border-right:0.15em double": "ms-rule-r-dbl",
    # \boxed, \fbox, \colorbox.
    "border:1px solid": "ms-box",
    "padding:3pt": "ms-pad-box",
    "padding:0.3em": "ms-pad-colorbox",
    # Cell padding of arrays, matrices, align and cases.
    "padding:0": "ms-pad-0",
    "padding-top:0": "ms-pad-t0",
    "padding-bottom:0": "ms-pad-b0",
    "padding-left:0": "ms-pad-l0",
    "padding-left:0em": "ms-pad-l0",
    "padding-left:0pt": "ms-pad-l0",
    "padding-left:0.1389em": "ms-pad-l-small",
    "padding-left:0.25em": "ms-pad-l-cd",
    "padding-left:0.4em": "ms-pad-l-array",
    "padding-left:1em": "ms-pad-l-1em",
    "padding-left:5.9776pt": "ms-pad-l-colsep",
    "padding-right:0": "ms-pad-r0",
    "padding-right:0em": "ms-pad-r0",
    "padding-right:0pt": "ms-pad-r0",
    "padding-right:0.1389em": "ms-pad-r-small",
    "padding-right:0.25em": "ms-pad-r-cd",
    "padding-right:0.4em": "ms-pad-r-array",
    "padding-right:1em": "ms-pad-r-1em",
    "padding-right:5.9776pt": "ms-pad-r-colsep",
    "padding-right:0.2em": "ms-pad-r-02",
    "padding:0.5ex 0.1em 0 0": "ms-pad-arrow",
    # \tag layout: a full-width table with glue columns either side.
    "width:100%": "ms-w-100",
    "width:50%": "ms-w-50",
    "width:7.5%": "ms-w-7_5",
    "width:90%": "ms-w-90",
    "left:0.1em": "ms-left-01",
    "text-align:left": "tml-left",
    "text-align: left": "tml-left",
    # Accents keep their size; \pmb; \llap and friends; \reflectbox; CD diagrams.
    "math-depth:0": "ms-depth-0",
    "math-depth:2": "ms-depth-2",
    "font-weight:bold": "ms-bold",
    "position:absolute": "ms-abs",
    "position:relative": "ms-rel",
    "right:0": "ms-right-0",
    "bottom:0": "ms-bottom-0",
    "display:flex": "ms-flex",
    "justify-content:center": "ms-justify-center",
    # Not a declaration: the class notes.rendering.math puts on the rows of a line-broken formula.
    "-": "ms-wrap",
    "transform:scaleX(-1)": "ms-flip",
    "height:1em": "ms-h-1em",
    # Negative spaces (\!, \negmedspace, \negthickspace) are margins in Temml.
    "margin-left:-0.1667em": "ms-kern-n1",
    "margin-left:-0.2222em": "ms-kern-n2",
    "margin-left:-0.2778em": "ms-kern-n3",
}
# Said by the <math> element's display attribute already.
_IGNORED_DECLARATIONS = frozenset({"display:block math"})
# "ms-short": an inline formula too short to need a scroll box (markdown_ext/math.py).
MATH_CLASSES = TEMML_CLASSES | frozenset(STYLE_CLASSES.values()) | {"ms-short"}

_COLOR = re.compile(r"^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,20})$")
_NUMBERISH = re.compile(r"^[-+]?[0-9.]+[a-z%]*$|^[a-z]+$")


def valid_class(value: str) -> bool:
    return all(name in MATH_CLASSES for name in value.split())


def valid_color(value: str) -> bool:
    return bool(_COLOR.match(value.strip()))


def allowed_math_attribute(tag: str, name: str, value: str) -> bool:
    """For the sanitizer: is this MathML attribute (with this value) on the allowlist?"""
    if name not in MATHML_ATTRIBUTES.get(tag, ()):
        return False
    if name == "class":
        return valid_class(value)
    if name in {"mathcolor", "mathbackground"}:
        return valid_color(value)
    if name == "encoding":
        return value == "application/x-tex"
    return len(value) <= 40


class Rewriter:
    """Rewrites one formula's element tree; remembers what it had to drop."""

    def __init__(self) -> None:
        self.dropped: set[str] = set()

    def element(self, node: etree.Element) -> None:
        classes = (node.get("class") or "").split()
        style = node.attrib.pop("style", "")
        for declaration in style.split(";"):
            declaration = re.sub(r"\s*:\s*", ":", declaration.strip())
            if not declaration or declaration in _IGNORED_DECLARATIONS:
                continue
            prop, _, value = declaration.partition(":")
            if prop in {"color", "background-color"} and valid_color(value):
                node.set("mathcolor" if prop == "color" else "mathbackground", value)
            elif prop == "border" and value.startswith("0.0667em solid "):  # \fcolorbox
                classes.append("ms-box")
            elif declaration in STYLE_CLASSES:
                classes.append(STYLE_CLASSES[declaration])
            else:
                self.dropped.add(declaration)
        kept = [name for name in dict.fromkeys(classes) if name in MATH_CLASSES]
        if kept:
            node.set("class", " ".join(kept))
        else:
            node.attrib.pop("class", None)
        for name, value in list(node.attrib.items()):
            if node.tag == "span" and name == "class":  # Temml's empty drawing spans
                continue
            if not allowed_math_attribute(node.tag, name, value):
                del node.attrib[name]
        for child in node:
            self.element(child)


def serialize(node: etree.Element) -> str:
    """HTML serialisation with every text and attribute escaped (never un-escaped)."""
    if node.tag == "span":  # Temml draws \cancel strokes with an empty HTML span
        inner = ""
    else:
        inner = escape(node.text or "", quote=False) + "".join(
            serialize(child) + escape(child.tail or "", quote=False) for child in node
        )
    attributes = "".join(f' {name}="{escape(value)}"' for name, value in node.attrib.items())
    return f"<{node.tag}{attributes}>{inner}</{node.tag}>"


def rewrite(markup: str) -> tuple[etree.Element, set[str]]:
    """Parse Temml's markup and bring it onto the allowlist; returns the tree and what was
    dropped (declarations with no class)."""
    root = etree.fromstring(markup)
    rewriter = Rewriter()
    _drop_unknown_elements(root)
    rewriter.element(root)
    return root, rewriter.dropped


def _drop_unknown_elements(parent: etree.Element) -> None:
    for child in list(parent):
        if child.tag not in MATHML_TAGS and not (
            child.tag == "span" and valid_class(child.get("class", ""))
        ):
            parent.remove(child)
        else:
            _drop_unknown_elements(child)


# For feeds: feed readers have no math.css but many keep inline styles, and no CSP applies.
_CLASS_STYLES: dict[str, str] = {
    **{name: declaration for declaration, name in reversed(STYLE_CLASSES.items())},
    "tml-left": "text-align:left",
    "tml-right": "text-align:right",
    "tml-fbox": "padding:3pt;border:1px solid",
    "tml-overline": "padding:0.1em 0 0 0;border-top:0.065em solid",
    "tml-underline": "padding:0 0 0.1em 0;border-bottom:0.065em solid",
}
_CLASS_STYLES.pop("ms-wrap", None)
_MATH_CLASS_ATTRIBUTE = re.compile(r'(<m[a-z]+\b[^<>]*?) class="([^"<>]*)"')


def inline_styles(rendered_html: str) -> str:
    """Rendered HTML with each math class's rule written inline, for feed readers."""

    def add_style(match: re.Match[str]) -> str:
        styles = ";".join(_CLASS_STYLES[c] for c in match.group(2).split() if c in _CLASS_STYLES)
        style = f' style="{escape(styles)}"' if styles else ""
        return f'{match.group(1)} class="{match.group(2)}"{style}'

    return _MATH_CLASS_ATTRIBUTE.sub(add_style, rendered_html)
