"""Equation numbers, labels and references, as LaTeX papers write them.

A note is planned once before its formulas are converted: ``\\label{eq:loss}`` numbers a
display formula, the rows of ``align``/``gather`` (and ``equation``) are numbered as LaTeX
numbers them (``\\nonumber``/``\\notag`` skip a row, ``\\tag{…}`` names it), and
``\\eqref{eq:loss}``/``\\ref{eq:loss}`` anywhere in the note read "(2)"/"2". Temml draws the
numbers (``\\tag``); this module only decides them.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from dataclasses import dataclass, field

from django.utils.translation import gettext_noop

from notes.rendering.editor_warnings import RenderWarning

# Environments LaTeX numbers, per row or as a whole.
ROW_NUMBERED = frozenset({"align", "gather", "alignat", "flalign", "eqnarray"})
WHOLE_NUMBERED = frozenset({"equation", "multline"})
_ENV = re.compile(r"^\\begin\{(\w+)\}(.*)\\end\{\1\}$", re.S)
_LABEL = re.compile(r"\\label\s*\{([^{}]*)\}")
_TAG = re.compile(r"\\tag\*?\s*\{([^{}]*)\}")
_NO_NUMBER = re.compile(r"\\(?:nonumber|notag)\b")
_REF = re.compile(r"\\(eqref|ref)\s*\{([^{}]*)\}")
_TOKEN = re.compile(r"\\begin\{[^}]*\}|\\end\{[^}]*\}|\\\\|\\.|[{}]", re.S)


def anchor_id(label: str) -> str:
    """The id of a labelled equation's element: readable, and safe in a URL fragment."""
    label = re.sub(r"^eq[:.-]", "", label.strip())  # \label{eq:loss} -> #eq-loss
    return "eq-" + (re.sub(r"[^\w.:-]+", "-", label, flags=re.UNICODE) or "x")


@dataclass(frozen=True)
class PlannedFormula:
    tex: str  # what Temml converts: labels gone, numbers as \tag
    anchors: tuple[str, ...] = ()  # ids of the labels it carries


@dataclass
class EquationPlan:
    # Label -> its number as shown ("3", or the text of an explicit \tag).
    labels: dict[str, str] = field(default_factory=dict)
    warnings: list[RenderWarning] = field(default_factory=list)
    _formulas: dict[str, deque[PlannedFormula]] = field(default_factory=lambda: defaultdict(deque))

    def take(self, tex: str) -> PlannedFormula:
        """The planned form of a display formula, in the order the note has them."""
        queue = self._formulas.get(tex.strip())
        if queue:
            return queue.popleft()
        return PlannedFormula(tex=for_temml(_LABEL.sub("", tex)))

    def substitute_refs(self, tex: str) -> tuple[str, list[str]]:
        """``\\eqref``/``\\ref`` inside a formula become their number as text; unknown labels
        are returned so the editor hears of them."""
        missing: list[str] = []

        def number(match: re.Match[str]) -> str:
            label = match.group(2).strip()
            if label not in self.labels:
                missing.append(label)
                return r"\textcolor{#b3261e}{\text{(" + _text_escape(label) + "?)}}"
            shown = self.labels[label]
            return r"\text{" + (f"({shown})" if match.group(1) == "eqref" else shown) + "}"

        return _REF.sub(number, tex), missing


def _text_escape(text: str) -> str:
    return re.sub(r"([\\{}$&#^_%~])", r"\\\1", text)


# Environments Temml lacks, typeset as align: rows, alignment and numbers are kept; flalign's
# spread to the margins and eqnarray's wider spacing around its relation are not.
_TEMML_LACKS = re.compile(r"^\\begin\{(flalign|eqnarray)(\*?)\}(.*)\\end\{\1\2\}$", re.S)
_CELL_TOKEN = re.compile(r"\\begin\{[^}]*\}|\\end\{[^}]*\}|\\.|[{}&]", re.S)


def for_temml(tex: str) -> str:
    """A display formula in environments Temml knows (flalign and eqnarray become align*)."""
    found = _TEMML_LACKS.match(tex.strip())
    if not found:
        return tex
    name, body = found.group(1), found.group(3)
    if name == "eqnarray":
        body = r"\\".join(_merge_relation(row) for row in split_rows(body))
    return rf"\begin{{align*}}{body}\end{{align*}}"


def _merge_relation(row: str) -> str:
    """An eqnarray row "a &=& b" as an align row "a &= b": the relation joins the right side."""
    depth, ampersands = 0, []
    for token in _CELL_TOKEN.finditer(row):
        text = token.group(0)
        if text == "{" or text.startswith("\\begin"):
            depth += 1
        elif text == "}" or text.startswith("\\end"):
            depth -= 1
        elif text == "&" and depth == 0:
            ampersands.append(token.start())
    if len(ampersands) < 2:
        return row
    return row[: ampersands[1]] + row[ampersands[1] + 1 :]


def label_pattern(label: str) -> re.Pattern[str]:
    """Where ``\\label{label}`` is written, however spaced."""
    return re.compile(r"\\label\s*\{\s*" + re.escape(label) + r"\s*\}")


def split_rows(body: str) -> list[str]:
    """Split an environment's body at its own ``\\\\`` (not those of nested environments or
    groups)."""
    rows, start, depth = [], 0, 0
    for token in _TOKEN.finditer(body):
        text = token.group(0)
        if text == "{" or text.startswith("\\begin"):
            depth += 1
        elif text == "}" or text.startswith("\\end"):
            depth -= 1
        elif text == "\\\\" and depth == 0:
            rows.append(body[start : token.start()])
            start = token.end()
    rows.append(body[start:])
    return rows


def plan_equations(display_formulas: list[str]) -> EquationPlan:
    """Number a note's display formulas in the order they appear."""
    plan = EquationPlan()
    counter = 0
    written: dict[str, int] = {}  # label -> times written so far, to point at the repeat

    def next_number() -> str:
        nonlocal counter
        counter += 1
        return str(counter)

    def register(labels: list[str], shown: str) -> list[str]:
        anchors = []
        for label in labels:
            label = label.strip()
            nth = written.get(label, 0)
            written[label] = nth + 1
            if label in plan.labels:
                plan.warnings.append(
                    RenderWarning(
                        gettext_noop("Equation label used twice: \\label{%(label)s}"),
                        {"label": label},
                        source=label_pattern(label),
                        nth=nth,
                    )
                )
                continue
            plan.labels[label] = shown
            anchors.append(anchor_id(label))
        return anchors

    def number_unit(tex: str, *, numbered: bool) -> tuple[str, list[str]]:
        """One numbered unit (a row, or a whole formula): its tex with a \\tag, and anchors."""
        labels = _LABEL.findall(tex)
        tex = _LABEL.sub("", tex)
        if _NO_NUMBER.search(tex):
            return _NO_NUMBER.sub("", tex), register(labels, "?") if labels else []
        tag = _TAG.search(tex)
        if tag:
            return tex, register(labels, tag.group(1).strip())
        if not (numbered or labels):
            return tex, []
        shown = next_number()
        return tex.rstrip() + rf" \tag{{{shown}}}", register(labels, shown)

    for original in display_formulas:
        tex = original.strip()
        env = _ENV.match(tex)
        anchors: list[str] = []
        if env and env.group(1) in ROW_NUMBERED:
            name, body = env.group(1), env.group(2)
            argument = ""
            if name == "alignat":  # \begin{alignat}{2}: the column count stays in front
                found = re.match(r"\s*\{[^{}]*\}", body)
                argument, body = (found.group(0), body[found.end() :]) if found else ("", body)
            rows = split_rows(body)
            new_rows = []
            for row in rows:
                if not row.strip():
                    new_rows.append(row)
                    continue
                row_tex, row_anchors = number_unit(row, numbered=True)
                new_rows.append(row_tex)
                anchors += row_anchors
            tex = rf"\begin{{{name}*}}{argument}" + r"\\".join(new_rows) + rf"\end{{{name}*}}"
        elif env and env.group(1) in WHOLE_NUMBERED:
            name, body = env.group(1), env.group(2)
            body_tex, anchors = number_unit(body, numbered=True)
            # Temml's equation* is display math itself; a multline keeps its layout.
            tex = body_tex if name == "equation" else rf"\begin{{{name}*}}{body_tex}\end{{{name}*}}"
        else:
            tex, anchors = number_unit(tex, numbered=False)
        planned = PlannedFormula(tex=for_temml(tex), anchors=tuple(anchors))
        plan._formulas[original.strip()].append(planned)
    return plan


def find_refs(text: str) -> list[tuple[str, str]]:
    """(kind, label) of every \\eqref/\\ref in a text."""
    return [(m.group(1), m.group(2).strip()) for m in _REF.finditer(text)]


REF_PATTERN = r"(?<!\\)\\(eqref|ref)\{([^{}\n]{1,100})\}"
