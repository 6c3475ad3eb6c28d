"""Server-side LaTeX -> MathML conversion for notes, done once at save time.

The converter is ``latex2mathml`` (pure Python, no runtime network, no Node). It was chosen by
running the corpus in ``tests/test_mathml.py`` through it; the places where it is wrong or too
lenient are patched here rather than hoped away:

* ``latex2mathml.converter.convert()`` *unescapes* its own serialised output, so
  ``\\text{<script>}`` comes back as a live ``<script>`` tag. We therefore only use
  ``convert_to_element()`` and serialise the tree ourselves with proper escaping.
* It silently accepts broken input (unbalanced braces, unknown environments, ``\\frac{a}``) and
  prints unknown macros as text (``<mi>\\foobar</mi>``), so we validate before and after.
* Some constructs come out wrong (``aligned``, ``\\operatorname{arg\\,max}``, ``\\sim``,
  ``\\big\\|``) and are rewritten before conversion or repaired in the tree afterwards.
* MathML Core (Chromium) ignores ``mathvariant`` except ``normal``, so styled letters are turned
  into Unicode Mathematical Alphanumeric characters (``\\mathbf{x}`` -> U+1D431).

This module deliberately has no Django imports so it can be tested and reused on its own.
"""

from __future__ import annotations

import html
import re
import unicodedata
from xml.etree.ElementTree import Element

import latex2mathml.commands as _l2m_commands
from latex2mathml.converter import convert_to_element
from latex2mathml.symbols_parser import SYMBOLS, convert_symbol

__all__ = ["MATHML_ATTRIBUTES", "MATHML_TAGS", "MathError", "latex_to_mathml"]

MATHML_NS = "http://www.w3.org/1998/Math/MathML"

# Exactly what latex_to_mathml() emits over the valid corpus in tests/test_mathml.py (a test
# keeps this in sync both ways). Meant as the bleach allowlist for rendered notes.
MATHML_TAGS: frozenset[str] = frozenset(
    {
        "annotation",
        "math",
        "mfrac",
        "mi",
        "mn",
        "mo",
        "mover",
        "mpadded",
        "mroot",
        "mrow",
        "semantics",
        "mspace",
        "msqrt",
        "mstyle",
        "msub",
        "msubsup",
        "msup",
        "mtable",
        "mtd",
        "mtext",
        "mtr",
        "munder",
        "munderover",
    }
)
MATHML_ATTRIBUTES: dict[str, list[str]] = {
    "annotation": ["encoding"],
    "math": ["display", "xmlns"],
    "mfrac": ["linethickness"],
    "mi": ["mathvariant"],
    "mo": ["accent", "fence", "form", "maxsize", "minsize", "stretchy"],
    "mover": ["accent"],
    "mpadded": ["height", "lspace", "voffset", "width"],
    "mspace": ["depth", "width"],
    "mstyle": ["displaystyle", "scriptlevel"],
    "mtable": ["columnlines", "columnspacing", "displaystyle", "rowlines", "rowspacing"],
    "mtd": ["columnalign"],
}


class MathError(ValueError):
    """The TeX cannot be rendered faithfully; the message is meant for the note's author."""


# --- input checks -----------------------------------------------------------------------------

# Environments whose latex2mathml output was checked on the corpus (or which we rewrite to one).
# Anything else is dropped silently by the converter (``\begin{foo}`` just vanishes), so reject it.
_KNOWN_ENVIRONMENTS = frozenset(
    {
        "align",
        "align*",
        "aligned",
        "array",
        "Bmatrix",
        "bmatrix",
        "cases",
        "equation",
        "equation*",
        "gather",
        "gather*",
        "gathered",
        "matrix",
        "pmatrix",
        "smallmatrix",
        "split",
        "Vmatrix",
        "vmatrix",
    }
)

# Control words the converter knows; used only to spot ``\\frac`` (a doubled backslash, usually
# from Markdown or JSON escaping) without rejecting a legitimate line break like ``a \\b``.
_KNOWN_COMMANDS = frozenset(
    name[1:]
    for name in (*vars(_l2m_commands).values(), *SYMBOLS)
    if isinstance(name, str) and name.startswith("\\") and name[1:].isalpha()
)

_TOKEN_RE = re.compile(r"\\(?:[A-Za-z]+\*?|.)|%[^\n]*|[{}]|[^\\{}%]+", re.DOTALL)
_ENV_ARG_RE = re.compile(r"\s*\{([^{}]*)\}")


def _validate_source(tex: str) -> None:
    """Reject input the converter would accept but render wrongly or partially."""
    if not tex.strip():
        raise MathError("empty formula")
    depth = 0
    left_depth = 0
    envs: list[str] = []
    pos = 0
    for match in _TOKEN_RE.finditer(tex):
        token = match.group()
        pos = match.end()
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth < 0:
                raise MathError(f"unmatched '}}' at position {match.start()}")
        elif token == "\\\\":
            following = re.match(r"[A-Za-z]+", tex[pos:])
            if following and following.group() in _KNOWN_COMMANDS:
                raise MathError(f"'\\\\{following.group()}': doubled backslash before a command")
        elif token == "\\left":
            left_depth += 1
        elif token == "\\right":
            left_depth -= 1
            if left_depth < 0:
                raise MathError("\\right without a matching \\left")
        elif token in ("\\begin", "\\end"):
            arg = _ENV_ARG_RE.match(tex, pos)
            if arg is None:
                raise MathError(f"{token} needs an environment name in braces")
            name = arg.group(1).strip()
            if token == "\\begin":
                if name not in _KNOWN_ENVIRONMENTS:
                    raise MathError(f"unsupported environment '{name}'")
                envs.append(name)
            elif not envs or envs.pop() != name:
                raise MathError(f"\\end{{{name}}} does not close the open environment")
    if depth > 0:
        raise MathError("unclosed '{'")
    if left_depth > 0:
        raise MathError("\\left without a matching \\right")
    if envs:
        raise MathError(f"\\begin{{{envs[-1]}}} is never closed")


# --- rewrites before conversion ---------------------------------------------------------------

_DROP_RE = re.compile(r"\\label\s*\{[^{}]*\}|\\(?:nonumber|notag)(?![A-Za-z])")
_ROW_SPACING_RE = re.compile(r"(\\\\)\s*\[\s*-?[\d.]+\s*(?:pt|em|ex|mm|cm|in|mu|px)\s*\]")
# \sim comes out as <mi>~</mi> (an ASCII tilde); \thicksim is the same relation as <mo>U+223C.
_SIM_RE = re.compile(r"\\sim(?![A-Za-z])")
# \arg is unknown to the converter (leaks as "<mi>\arg</mi>").
_ARG_RE = re.compile(r"\\arg(?![A-Za-z])")
_OPERATORNAME_RE = re.compile(r"\\operatorname(\*?)\s*\{")
_ENV_RENAMES = {
    # ``aligned`` comes out as one row with literal '&' characters; align* is the same layout.
    "aligned": ("align*", "align*"),
    # Numbering restarts at (1) in every formula, which is misleading across a page.
    "align": ("align*", "align*"),
    # These produce <mspace linebreak>, which Chromium ignores (rows run together).
    "gather": ("array}{c", "array"),
    "gather*": ("array}{c", "array"),
    "gathered": ("array}{c", "array"),
}
_ENV_RE = re.compile(r"\\(begin|end)\s*\{(aligned|align|gather\*?|gathered)\}")


def _rename_environment(match: re.Match[str]) -> str:
    begin_name, end_name = _ENV_RENAMES[match.group(2)]
    command = match.group(1)
    return f"\\{command}{{{begin_name if command == 'begin' else end_name}}}"


def _closing_brace(tex: str, open_at: int) -> int:
    """Index of the '}' matching the '{' at ``open_at`` (source is already validated)."""
    depth = 0
    i = open_at
    while i < len(tex):
        char = tex[i]
        if char == "\\":
            i += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise MathError("unclosed '{'")


def _rewrite_operatorname(tex: str, *, display: bool) -> str:
    """Route ``\\operatorname{arg\\,max}`` through \\mathop: the converter emits an empty <mo>
    followed by loose letters when the name contains a command."""
    out: list[str] = []
    pos = 0
    for match in _OPERATORNAME_RE.finditer(tex):
        if match.start() < pos:
            continue
        end = _closing_brace(tex, match.end() - 1)
        body = tex[match.end() : end]
        out.append(tex[pos : match.start()])
        if "\\" in body:
            limits = "\\limits" if match.group(1) and display else ""
            out.append(f"\\mathop{{\\mathrm{{{body}}}}}{limits}")
        else:
            out.append(tex[match.start() : end + 1])
        pos = end + 1
    out.append(tex[pos:])
    return "".join(out)


def _has_top_level_newline(tex: str) -> bool:
    depth = 0
    for match in _TOKEN_RE.finditer(tex):
        token = match.group()
        if token == "\\begin":
            depth += 1
        elif token == "\\end":
            depth -= 1
        elif token == "\\\\" and depth == 0:
            return True
    return False


def _rewrite(tex: str, *, display: bool) -> str:
    tex = _DROP_RE.sub("", tex)
    tex = _ROW_SPACING_RE.sub(r"\1", tex)
    tex = _SIM_RE.sub(r"\\thicksim", tex)
    tex = _ARG_RE.sub(r"\\operatorname{arg}", tex)
    tex = _ENV_RE.sub(_rename_environment, tex)
    tex = _rewrite_operatorname(tex, display=display)
    if _has_top_level_newline(tex):
        # A bare "a \\ b" becomes <mspace linebreak>, which Chromium ignores; stack rows instead.
        tex = f"\\begin{{array}}{{c}}{tex}\\end{{array}}"
    return tex


# --- repairs after conversion -----------------------------------------------------------------

_ARITY = {
    "mfrac": 2,
    "mroot": 2,
    "msub": 2,
    "msup": 2,
    "msubsup": 3,
    "munder": 2,
    "mover": 2,
    "munderover": 3,
}
_FORBIDDEN_TAGS = frozenset({"maction", "mglyph", "annotation-xml", "semantics", "annotation"})
_DROPPED_ATTRIBUTES = frozenset({"href", "style", "class", "id", "src"})
# MathML 3 named spaces, which MathML Core dropped; the converter uses them for \! and friends.
_NAMED_SPACES = {
    "negativeveryverythinmathspace": "-0.056em",
    "negativeverythinmathspace": "-0.111em",
    "negativethinmathspace": "-0.167em",
    "negativemediummathspace": "-0.222em",
    "negativethickmathspace": "-0.278em",
    "negativeverythickmathspace": "-0.333em",
    "negativeveryverythickmathspace": "-0.389em",
    "veryverythinmathspace": "0.056em",
    "verythinmathspace": "0.111em",
    "thinmathspace": "0.167em",
    "mediummathspace": "0.222em",
    "thickmathspace": "0.278em",
    "verythickmathspace": "0.333em",
    "veryverythickmathspace": "0.389em",
}
_FENCE_CHARS = frozenset("()[]{}|‖⟨⟩⌊⌋⌈⌉")
_VARIANT_NAMES = {
    "bold": "BOLD",
    "italic": "ITALIC",
    "bold-italic": "BOLD ITALIC",
    "double-struck": "DOUBLE-STRUCK",
    "script": "SCRIPT",
    "bold-script": "BOLD SCRIPT",
    "fraktur": "FRAKTUR",
    "bold-fraktur": "BOLD FRAKTUR",
    "sans-serif": "SANS-SERIF",
    "bold-sans-serif": "SANS-SERIF BOLD",
    "sans-serif-italic": "SANS-SERIF ITALIC",
    "sans-serif-bold-italic": "SANS-SERIF BOLD ITALIC",
    "monospace": "MONOSPACE",
}
# Where the Mathematical Alphanumeric block has a hole (e.g. script B), Unicode had already
# encoded the letter elsewhere under one of these prefixes (U+212C SCRIPT CAPITAL B, ...).
_HOLE_PREFIXES = {
    "SCRIPT": "SCRIPT",
    "FRAKTUR": "BLACK-LETTER",
    "DOUBLE-STRUCK": "DOUBLE-STRUCK",
}


def _styled_char(char: str, variant: str) -> str | None:
    """Unicode Mathematical Alphanumeric form of ``char``, or None if Unicode has none."""
    prefix = _VARIANT_NAMES.get(variant)
    if prefix is None:
        return None
    try:
        name = unicodedata.name(char)
    except ValueError:
        return None
    if name.startswith("LATIN "):
        rest = name.removeprefix("LATIN ").replace(" LETTER", "")
    elif name.startswith("GREEK "):
        rest = name.removeprefix("GREEK ").replace(" LETTER", "")
    elif name.startswith("DIGIT "):
        rest = name
    else:
        return None
    candidates = [f"MATHEMATICAL {prefix} {rest}"]
    if prefix in _HOLE_PREFIXES:
        candidates.append(f"{_HOLE_PREFIXES[prefix]} {rest}")
    if prefix == "ITALIC" and rest == "SMALL H":
        candidates.append("PLANCK CONSTANT")
    for candidate in candidates:
        try:
            return unicodedata.lookup(candidate)
        except KeyError:
            continue
    return None


def _unescape_tree(element: Element) -> None:
    """Turn the converter's pre-escaped ``&#x...;`` text into characters.

    An ASCII letter that arrives as an entity went through a font table that mapped it to
    itself, which only happens for upright fonts (``\\mathrm{d}``); the converter forgets the
    ``mathvariant`` in that case, so the letter would render italic. Restore it.
    """
    for node in element.iter():
        if node.text:
            raw = node.text
            node.text = html.unescape(raw)
            if (
                node.tag == "mi"
                and raw.startswith("&#x")
                and len(node.text) == 1
                and node.text.isascii()
                and node.text.isalpha()
                and "mathvariant" not in node.attrib
            ):
                node.set("mathvariant", "normal")
        for key, value in node.attrib.items():
            node.attrib[key] = html.unescape(value)


def _text_of(element: Element) -> str:
    """Flatten a subtree to text, keeping \\, and friends as a thin space."""
    if element.tag == "mspace":
        return "\u2009"
    parts = [element.text or ""]
    for child in element:
        parts.append(_text_of(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _repair(element: Element) -> None:
    for node in element.iter():
        if node.tag in _FORBIDDEN_TAGS:
            raise MathError(f"converter produced a forbidden <{node.tag}> element")
        for key in list(node.attrib):
            if key in _DROPPED_ATTRIBUTES or key.startswith(("on", "xlink", "{")) or ":" in key:
                del node.attrib[key]
        if node.tag == "mo" and len(node):
            # \mathop{\mathrm{arg\,max}} nests elements inside <mo>, which must hold text only.
            node.text = _text_of(node).strip()
            for child in list(node):
                node.remove(child)
        if node.tag == "mo" and node.text and node.text.startswith("\\"):
            # \big\| and \big\langle keep the delimiter's TeX name as the operator text.
            code = convert_symbol(node.text)
            if code is not None:
                node.text = chr(int(code, 16))
        if node.tag == "mi" and node.text and len(node.text) == 1:
            if node.text in _FENCE_CHARS:
                node.tag = "mo"
                node.set("stretchy", "false")
            elif unicodedata.category(node.text) == "Sm":
                # \pm, \setminus, \implies... come out as identifiers, losing operator spacing.
                node.tag = "mo"
        variant = node.get("mathvariant")
        if node.tag in ("mi", "mn") and node.text and variant not in (None, "normal"):
            styled = [_styled_char(c, variant or "") for c in node.text]
            if all(styled):
                node.text = "".join(s for s in styled if s)
                del node.attrib["mathvariant"]
        if node.tag == "mspace" and node.get("width") in _NAMED_SPACES:
            node.set("width", _NAMED_SPACES[node.get("width", "")])
        if node.tag == "mover" and len(node) == 2 and node[1].tag == "mo":
            node.attrib.setdefault("accent", "true")
    _merge_upright_runs(element)


def _merge_upright_runs(element: Element) -> None:
    """``\\mathrm{softmax}`` arrives as one <mi mathvariant="normal"> per letter; a single
    multi-letter <mi> is upright by default, reads as a word to screen readers and kerns."""
    for node in element.iter("mrow"):
        children = list(node)
        if (
            len(children) > 1
            and not node.attrib
            and all(
                c.tag == "mi" and c.get("mathvariant") == "normal" and len(c.attrib) == 1
                for c in children
            )
        ):
            word = "".join(c.text or "" for c in children)
            for child in children:
                node.remove(child)
            node.text = None
            merged = Element("mi")
            merged.text = word
            node.append(merged)


def _check_tree(element: Element) -> None:
    """Catch what the converter let through: leaked macros, stray '&', missing arguments."""
    for node in element.iter():
        text = node.text or ""
        if "\\" in text:
            raise MathError(f"unknown command {text.strip()!r}")
        if node.tag in ("mi", "mo") and text == "&":
            raise MathError("'&' used outside an alignment environment")
        expected = _ARITY.get(node.tag)
        if expected is not None and len(node) != expected:
            raise MathError(f"<{node.tag}> is missing an argument")


# --- serialisation ----------------------------------------------------------------------------


def _serialise(element: Element, out: list[str]) -> None:
    attrs = "".join(f' {k}="{html.escape(v, quote=True)}"' for k, v in element.attrib.items())
    out.append(f"<{element.tag}{attrs}>")
    if element.text:
        out.append(html.escape(element.text, quote=False))
    for child in element:
        _serialise(child, out)
        if child.tail:
            out.append(html.escape(child.tail, quote=False))
    # Always an explicit end tag: the HTML parser honours "/>" in MathML, sanitizers may not.
    out.append(f"</{element.tag}>")


def latex_to_mathml(tex: str, *, display: bool) -> str:
    """Convert one formula (without ``$`` delimiters) to a ``<math>`` element string.

    The original TeX is kept in ``<annotation encoding="application/x-tex">`` so it can be
    copied and read by assistive technology. Raises MathError, and only MathError, when the
    TeX is broken or uses something the converter cannot render faithfully.
    """
    if not isinstance(tex, str):
        raise MathError("formula must be a string")
    _validate_source(tex)
    source = _rewrite(tex, display=display)
    try:
        root = convert_to_element(source, display="block" if display else "inline")
    except Exception as exc:  # the converter raises assorted types, even IndexError
        raise MathError(f"cannot convert formula: {type(exc).__name__} {exc}".strip()) from exc
    _unescape_tree(root)
    _repair(root)
    _check_tree(root)

    body = list(root)
    if len(body) == 1 and body[0].tag == "mrow":
        presentation = body[0]
    else:
        presentation = Element("mrow")
        presentation.extend(body)
    semantics = Element("semantics")
    semantics.append(presentation)
    annotation = Element("annotation", {"encoding": "application/x-tex"})
    annotation.text = tex
    semantics.append(annotation)
    math = Element("math", {"xmlns": MATHML_NS, "display": "block" if display else "inline"})
    math.append(semantics)
    out: list[str] = []
    _serialise(math, out)
    return "".join(out)
