"""One formula's LaTeX as readable Unicode text, for places that carry only plain text."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from pylatexenc import latex2text, latexwalker
from pylatexenc.latexwalker import (
    LatexCharsNode,
    LatexCommentNode,
    LatexGroupNode,
    LatexMacroNode,
    LatexNode,
    LatexSpecialsNode,
)
from pylatexenc.macrospec import LatexContextDb, MacroSpec

__all__ = ["formula_text", "formula_text_or_source"]

# Unicode has script forms for these characters only (no superscript q, no capital subscripts).
_SUPERSCRIPT = dict(
    zip(
        "0123456789+-=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVWβγδεθιφχ⊤",
        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂᵝᵞᵟᵋᶿᶥᵠᵡᵀ",
        strict=True,
    )
)
# Marks that read as well raised as not: x*, x′, x†, x'.
_SUPERSCRIPT.update({c: c for c in "*′″†'"})
_SUBSCRIPT = dict(
    zip(
        "0123456789+-=()aehijklmnoprstuvxβγρφχ",
        "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵪ",
        strict=True,
    )
)

# A script with no Unicode script form is written x^(…) only while it stays this short.
_MAX_PLAIN_SCRIPT = 8

_FRACTIONS = {"frac", "dfrac", "tfrac", "cfrac"}
# Their argument is shown as it is: the font or the operator status is not worth a character.
_TRANSPARENT = {"text", "textrm", "textnormal", "mathrm", "operatorname", "mbox", "mathnormal"}
_TRANSPARENT |= {"boldsymbol", "bm", "textit", "textsf", "texttt", "emph", "hbox"}
# Size and style switches with nothing to show.
_INVISIBLE = {"displaystyle", "textstyle", "scriptstyle", "limits", "nolimits", "middle"}
_INVISIBLE |= {
    f"{size}{side}" for size in ("big", "Big", "bigg", "Bigg") for side in ("", "l", "r", "m")
}
# Equation numbers, labels and colours: the number belongs to the page, not to the text.
_DROPPED = {"label", "tag", "nonumber", "notag", "color"}
_DELIMITER_SIZERS = {"left", "right"}
_FORBIDDEN_MACROS = {"\\", "cr", "newline", "hline", "binom", "choose", "atop", "over"}

# Symbols pylatexenc 2.x does not know, as extra specs for its own text converter.
_EXTRA_SYMBOLS = {
    "|": "‖",
    "iff": "⟺",
    "implies": "⟹",
    "impliedby": "⟸",
    "land": "∧",
    "lor": "∨",
    "neg": "¬",
    "lnot": "¬",
    "ne": "≠",
    "gets": "←",
    "coloneqq": "≔",
    "colon": ":",
    "triangle": "△",
    "Box": "□",
    "lvert": "|",
    "rvert": "|",
}
_OPERATOR_NAMES = ("Pr", "det", "tr", "arg", "deg", "dim", "gcd", "ker", "hom", "Re", "Im")
_EXTRA_ACCENTS = {
    "overline": "\N{COMBINING OVERLINE}",
    "widehat": "\N{COMBINING CIRCUMFLEX ACCENT}",
    "widetilde": "\N{COMBINING TILDE}",
    "underline": "\N{COMBINING LOW LINE}",
}

_SPACES = re.compile(r"\s+")
# In a script, only words keep their spaces: n×d, i∈S, but "new model".
_SCRIPT_SPACES = re.compile(r" ?([^\w ]) ?")
_COMBINING = "".join(chr(c) for c in range(0x300, 0x370)) + "\u20d7"
_AFTER_OPENING = re.compile(r"([(\[{⟨⌊⌈]) ")
_BEFORE_CLOSING = re.compile(r" ([)\]}⟩⌋⌉,;])")
# Prefixes that keep a fraction's part one operand: ∂L/∂w, √2/2.
_PREFIXES = "∂∇√"
# Characters that belong to the symbol before them: scripts and primes.
_ATTACHED = {*_SUPERSCRIPT.values(), *_SUBSCRIPT.values(), "′", "″", "'"}


class _Unreadable(Exception):
    """The formula has no faithful plain-text form; the caller shows its source."""


def _accent(name: str, mark: str) -> latex2text.MacroTextSpec:
    def combine(node: LatexMacroNode, l2tobj: latex2text.LatexNodes2Text) -> str:
        text = l2tobj.nodelist_to_text(node.nodeargd.argnlist)
        return "".join(c + mark for c in text if not c.isspace())

    return latex2text.MacroTextSpec(name, simplify_repl=combine)


def _make_converter() -> latex2text.LatexNodes2Text:
    specs = [latex2text.MacroTextSpec(name, text) for name, text in _EXTRA_SYMBOLS.items()]
    specs += [latex2text.MacroTextSpec(name, name) for name in _OPERATOR_NAMES]
    specs += [_accent(name, mark) for name, mark in _EXTRA_ACCENTS.items()]
    db = latex2text.get_default_latex_context_db()
    db.add_context_category("notes-mathtext", macros=specs, prepend=True)
    return latex2text.LatexNodes2Text(latex_context=db, math_mode="text")


def _walker_context() -> LatexContextDb:
    db = latexwalker.get_default_latex_context_db()

    # Arguments of macros pylatexenc's parser does not know, or takes none for.
    specs = [MacroSpec(name, "{") for name in _EXTRA_ACCENTS]
    specs += [MacroSpec(name, "{") for name in ("operatorname", "boldsymbol", "bm", "mbox")]
    specs += [MacroSpec(name, "{{") for name in ("dfrac", "tfrac", "cfrac", "binom")]
    specs += [MacroSpec("tag", "*{"), MacroSpec("label", "{")]
    db.add_context_category("notes-mathtext", macros=specs, prepend=True)
    return db


_L2T = _make_converter()
_WALKER_CONTEXT = _walker_context()


@dataclass(frozen=True)
class _Token:
    """A character of a chars node, or a whole node (a macro with its arguments, a group)."""

    char: str = ""
    node: LatexNode | None = None

    @property
    def is_space(self) -> bool:
        return self.node is None and self.char.isspace()


def _tokens(nodes: Sequence[LatexNode | None]) -> list[_Token]:
    tokens: list[_Token] = []
    for node in nodes:
        if node is None or isinstance(node, LatexCommentNode):
            continue
        if isinstance(node, LatexCharsNode):
            tokens.extend(_Token(char=c) for c in node.chars)
        elif isinstance(node, LatexMacroNode | LatexGroupNode | LatexSpecialsNode):
            tokens.append(_Token(node=node))
        else:  # environments, nested math: matrices and alignments have no line of text
            raise _Unreadable
    return tokens


def _is_ordinary(text: str) -> bool:
    """One letter-like symbol (α, ℝ, ∂): written against what follows, as TeX sets it."""
    return len(text) == 1 and (unicodedata.category(text).startswith("L") or text in "∂∇")


def _is_word(text: str) -> bool:
    return len(text) > 1 and text.replace(" ", "").isalpha()


def _balanced_group(text: str) -> bool:
    """Whether ``text`` is one bracketed group, ``(…)`` or ``[…]``, closed only at its end."""
    if len(text) < 2 or text[0] not in "([" or text[-1] not in ")]":
        return False
    depth = 0
    for position, c in enumerate(text):
        depth += c in "(["
        depth -= c in ")]"
        if depth == 0 and position != len(text) - 1:
            return False
    return True


def _is_attached(c: str) -> bool:
    return c in _ATTACHED or unicodedata.category(c).startswith("M")


def _is_atomic(text: str, *, strict: bool) -> bool:
    """Whether ``text`` reads as one operand, so ``/`` needs no parentheses round it.

    A numerator may be a product (``xy/z`` reads the same either way); a denominator
    (``strict``) may only be one number or symbol (``2``, ``σ``, ``xᵢ``, ``√dₖ``, ``∂w``,
    ``dx``), perhaps applied to a bracket (``f(x)``): ``a/2b`` would be ambiguous."""
    if _balanced_group(text):
        return True
    rest = text
    if len(rest) > 1 and (rest[0] in _PREFIXES or (strict and rest[0] == "d")):
        rest = rest[1:]
    if strict:
        if rest[:1].isdigit():
            i = len(rest) - len(rest.lstrip("0123456789."))
        else:
            i = 1 if rest[:1].isalnum() else 0
        if i == 0:
            return False
        while i < len(rest) and _is_attached(rest[i]):
            i += 1
    else:
        i = 0
        while i < len(rest) and (rest[i].isalnum() or rest[i] == "." or _is_attached(rest[i])):
            i += 1
        if i == 0:
            return False
    rest = rest[i:]
    return not rest or _balanced_group(rest)


class _Converter:
    def __init__(self) -> None:
        self.in_fraction = False
        self.in_script = False
        self.structures = 0  # fractions and scripts written so far

    # --- Sequences ---------------------------------------------------------------------

    def sequence(self, nodes: Sequence[LatexNode | None]) -> str:
        tokens = _tokens(nodes)
        out: list[str] = []
        space_if_alnum = False
        i = 0
        while i < len(tokens):
            token = tokens[i]
            i += 1
            if token.is_space:
                out.append(" ")
                continue
            if token.node is None and token.char in "^_":
                i = _skip_spaces(tokens, i)
                while out and out[-1] == " ":
                    out.pop()
                text = self.script(tokens[i], superscript=token.char == "^")
                i += 1
                out.append(text)
                # x_θ y, ∫₀^∞ e: a script left in plain characters needs air after it.
                space_if_alnum = text[0] in "^_"
                continue
            if token.node is None:
                text = token.char
                if token.char in "&#":
                    raise _Unreadable
            elif isinstance(token.node, LatexMacroNode) and token.node.macroname in (
                _DELIMITER_SIZERS
            ):
                i = _skip_spaces(tokens, i)
                delimiter = tokens[i]
                text = "" if delimiter.char == "." else self.token(delimiter)
                if token.node.macroname == "left":
                    i = _skip_spaces(tokens, i + 1) if i + 1 < len(tokens) else i + 1
                else:
                    i += 1
                    while out and out[-1] == " ":
                        out.pop()
            else:
                text = self.token(token)
                if isinstance(token.node, LatexMacroNode) and token.node.macro_post_space:
                    following = tokens[i] if i < len(tokens) else None
                    glued = (
                        following is not None
                        and following.node is None
                        and following.char.isalnum()
                        and _is_ordinary(text)
                    )
                    if not glued and not _is_word(text):
                        text += " "
            if not text:
                continue
            if space_if_alnum and text[0].isalnum() and out and out[-1] != " ":
                out.append(" ")
            space_if_alnum = _is_word(text.rstrip())
            out.append(text)
        return "".join(out)

    def token(self, token: _Token) -> str:
        if token.node is None:
            return token.char
        node = token.node
        if isinstance(node, LatexGroupNode):
            return self.sequence(node.nodelist)
        if isinstance(node, LatexSpecialsNode):
            if node.specials_chars == "~":
                return " "
            if node.specials_chars == "&":
                raise _Unreadable
            return _L2T.specials_node_to_text(node)
        assert isinstance(node, LatexMacroNode)
        return self.macro(node)

    # --- Macros ------------------------------------------------------------------------

    def macro(self, node: LatexMacroNode) -> str:
        name = node.macroname
        args = list(node.nodeargd.argnlist) if node.nodeargd is not None else []
        if name in _FORBIDDEN_MACROS:
            raise _Unreadable
        if name in _INVISIBLE or name in _DROPPED:
            return ""
        if name in _FRACTIONS:
            return self.fraction(args)
        if name == "sqrt":
            return self.root(args)
        if name == "mathbb" and _L2T.nodelist_to_text(args).strip() == "1":
            return "𝟙"  # the indicator function; pylatexenc leaves a plain 1
        if name in _TRANSPARENT:
            if len(args) != 1 or args[0] is None:
                raise _Unreadable
            return self.sequence([args[0]])
        if _L2T.latex_context.get_macro_spec(name) is None:
            raise _Unreadable  # pylatexenc would drop it and keep only its argument
        if any(arg is None for arg in args):
            raise _Unreadable
        if args and any(_has_structure(arg) for arg in args):
            raise _Unreadable  # \hat{x_i}, \mathbb{R^n}: no faithful flat form
        return _L2T.macro_node_to_text(node)

    def fraction(self, args: list[LatexNode | None]) -> str:
        if len(args) != 2 or any(arg is None for arg in args) or self.in_fraction:
            raise _Unreadable
        self.in_fraction = True
        try:
            numerator = _tidy(self.sequence([args[0]]))
            denominator = _tidy(self.sequence([args[1]]))
        finally:
            self.in_fraction = False
        if not numerator or not denominator:
            raise _Unreadable
        self.structures += 1
        if not _is_atomic(numerator, strict=False):
            numerator = f"({numerator})"
        if not _is_atomic(denominator, strict=True):
            denominator = f"({denominator})"
        return f"{numerator}/{denominator}"

    def root(self, args: list[LatexNode | None]) -> str:
        if not args or args[-1] is None:
            raise _Unreadable
        radicand = _tidy(self.sequence([args[-1]]))
        if not radicand:
            raise _Unreadable
        index = ""
        if len(args) == 2 and args[0] is not None:
            index = _tidy(self.sequence([args[0]]))
            if index and not all(c in _SUPERSCRIPT for c in index):
                raise _Unreadable
            index = "".join(_SUPERSCRIPT[c] for c in index)
        if not _is_atomic(radicand, strict=True):
            radicand = f"({radicand})"
        return f"{index}√{radicand}"

    # --- Scripts -----------------------------------------------------------------------

    def script(self, argument: _Token, *, superscript: bool) -> str:
        if self.in_script:
            raise _Unreadable  # a script inside a script has no Unicode form
        before = self.structures
        self.in_script = True
        try:
            text = self.token(argument)
        finally:
            self.in_script = False
        text = _SCRIPT_SPACES.sub(r"\1", _tidy(text))
        if not text:
            raise _Unreadable
        nested = self.structures > before
        self.structures += 1
        table = _SUPERSCRIPT if superscript else _SUBSCRIPT
        if not nested and all(c in table for c in text.replace(" ", "")):
            return "".join(table[c] for c in text.replace(" ", ""))
        if nested or len(text) > _MAX_PLAIN_SCRIPT:
            raise _Unreadable  # e^{-\frac{x^2}{2}}: a fraction inside a script, a long script
        mark = "^" if superscript else "_"
        if len(text.rstrip(_COMBINING)) == 1:
            return mark + text  # x_θ, ∫₀^∞
        return f"{mark}({text})"  # ℝ^(n×d), ∑_(i∈S)


def _skip_spaces(tokens: Sequence[_Token], i: int) -> int:
    """The index of the first token from ``i`` that is not a space; one must follow."""
    while i < len(tokens) and tokens[i].is_space:
        i += 1
    if i == len(tokens):
        raise _Unreadable  # x^ or \left with nothing after it
    return i


def _has_structure(node: LatexNode | None) -> bool:
    """Whether ``node`` holds a script or a fraction, which a font or accent macro would mangle."""
    if node is None:
        return False
    if isinstance(node, LatexCharsNode):
        return "^" in node.chars or "_" in node.chars
    if isinstance(node, LatexGroupNode):
        return any(_has_structure(child) for child in node.nodelist)
    if isinstance(node, LatexMacroNode):
        if node.macroname in _FRACTIONS or node.macroname == "sqrt":
            return True
        args = node.nodeargd.argnlist if node.nodeargd is not None else []
        return any(_has_structure(arg) for arg in args)
    return not isinstance(node, LatexSpecialsNode | LatexCommentNode)


def _tidy(text: str) -> str:
    text = _SPACES.sub(" ", text).strip()
    text = _AFTER_OPENING.sub(r"\1", text)
    return _BEFORE_CLOSING.sub(r"\1", text)


def _convert(source: str) -> str:
    walker = latexwalker.LatexWalker(source, latex_context=_WALKER_CONTEXT, tolerant_parsing=False)
    nodes, _, length = walker.get_latex_nodes(
        parsing_state=walker.make_parsing_state(in_math_mode=True)
    )
    if length != len(source):
        raise _Unreadable  # a stray closing brace ended the parse early
    return _tidy(_Converter().sequence(nodes))


@functools.lru_cache(maxsize=4096)
def formula_text_or_source(tex: str) -> tuple[str, bool]:
    """``(text, True)`` for the readable Unicode form of ``tex`` (one formula, no ``$``), or
    ``("$tex$", False)`` when plain text would garble or lose it. Never raises."""
    source = _SPACES.sub(" ", tex).strip()
    if not source:
        return "", True
    try:
        text = _convert(source)
    except Exception:  # pylatexenc's parse errors, recursion on deep nesting, _Unreadable
        text = ""
    if not text or "\\" in text:
        return f"${source}$", False
    return text, True


def formula_text(tex: str) -> str:
    """The LaTeX of one formula (no ``$`` delimiters) as readable Unicode: ``E = mc^2`` reads
    ``E = mc²``; what has no faithful text form (matrices, nested fractions) reads ``$tex$``."""
    return formula_text_or_source(tex)[0]
