"""The admin's Python, templates and scripts show an editor no English without gettext."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.test import TestCase

from tests.admin.language import english_words

ROOT = Path(settings.BASE_DIR)
ADMIN_PY = sorted((ROOT / "notes" / "admin").glob("*.py"))
ADMIN_TEMPLATES = sorted((ROOT / "templates" / "admin").rglob("*.html"))
ADMIN_JS = sorted((ROOT / "static" / "admin").glob("*.js"))

GETTEXT = {
    "gettext", "gettext_lazy", "_", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy",
    "npgettext", "npgettext_lazy", "gettext_noop",
}  # fmt: skip


# --- The admin's Python ------------------------------------------------------------------

# Calls whose (positional) arguments reach the editor: (name, first, last) argument indexes.
VISIBLE_ARGUMENTS = {
    "message_user": (1, 2),
    "add_message": (2, 3),
    "ValidationError": (0, 1),
    "add_error": (1, 2),
    "mark_safe": (0, 1),
    "format_html": (0, None),
    "set_comment": (0, 1),
    "log_change": (2, 3),
    "log_addition": (2, 3),
    "log_deletion": (2, 3),
}
MESSAGE_LEVELS = {"debug", "info", "success", "warning", "error"}
VISIBLE_KEYWORDS = {
    "description", "help_text", "verbose_name", "verbose_name_plural", "label", "empty_label",
    "empty_value_display", "title", "subtitle", "short_description", "comment", "message",
}  # fmt: skip
VISIBLE_ATTRIBUTES = {
    "description", "help_text", "verbose_name", "verbose_name_plural", "label",
    "short_description", "empty_value_display", "title",
}  # fmt: skip
VISIBLE_KEYS = {"title", "subtitle", "description", "help_text", "label", "message"}
# Called on a visible value, their arguments are shown as they are.
PASSING = {"str", "format_lazy", "capfirst", "format_html"}


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _markup_free(text: str) -> str:
    return re.sub(r"<[^>]*>", " ", text)


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


@dataclass
class Finding:
    where: str
    text: str

    def __str__(self) -> str:
        return f"{self.where}: {self.text!r}"


def unwrapped(node: ast.expr | None, local: dict[str, list[ast.expr]] | None = None) -> list[str]:
    """The English literals a visible expression shows without gettext, following the local
    variables (``local``: name -> the values the function assigns it) it is made of."""
    if node is None:
        return []
    local = local or {}
    if isinstance(node, ast.Name) and node.id in local:
        values = local[node.id]
        inner = {name: found for name, found in local.items() if name != node.id}
        return [text for value in values for text in unwrapped(value, inner)]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value] if english_words(_markup_free(node.value)) else []
    if isinstance(node, ast.JoinedStr):
        text = "".join(
            part.value
            for part in node.values
            if isinstance(part, ast.Constant) and isinstance(part.value, str)
        )
        found = [text] if english_words(_markup_free(text)) else []
        for part in node.values:
            if isinstance(part, ast.FormattedValue):
                found += unwrapped(part.value, local)
        return found
    if isinstance(node, ast.BinOp):
        found = unwrapped(node.left, local)
        if isinstance(node.op, ast.Mod) and isinstance(node.right, ast.Dict):
            return found + [text for value in node.right.values for text in unwrapped(value, local)]
        if isinstance(node.op, ast.Mod) and isinstance(node.right, ast.Tuple):
            return found + [text for value in node.right.elts for text in unwrapped(value, local)]
        return found + unwrapped(node.right, local)
    if isinstance(node, ast.IfExp):
        return unwrapped(node.body, local) + unwrapped(node.orelse, local)
    if isinstance(node, ast.BoolOp):
        return [text for value in node.values for text in unwrapped(value, local)]
    if isinstance(node, ast.Call):
        name = _name(node.func)
        if name in GETTEXT:
            return []
        if name in PASSING:
            return [text for argument in node.args for text in unwrapped(argument, local)]
    return []


class VisibleStrings(ast.NodeVisitor):
    """Every place of a module that puts a string in front of the editor, and what it shows
    there without gettext."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.findings: list[Finding] = []
        self.local: dict[str, list[ast.expr]] = {}

    def flag(self, node: ast.AST, values: list[str]) -> None:
        where = f"{_shown(self.path)}:{node.lineno}"
        self.findings += [Finding(where, value) for value in values]

    def shown(self, node: ast.expr) -> list[str]:
        return unwrapped(node, self.local)

    def visit_Call(self, node: ast.Call) -> None:
        name = _name(node.func)
        arguments: list[ast.expr] = []
        if name in VISIBLE_ARGUMENTS:
            first, last = VISIBLE_ARGUMENTS[name]
            arguments = node.args[first:last]
        elif name in MESSAGE_LEVELS and _name(getattr(node.func, "value", None)) == "messages":
            arguments = node.args[1:2]
        for argument in arguments:
            self.flag(node, self.shown(argument))
        for keyword in node.keywords:
            if keyword.arg in VISIBLE_KEYWORDS:
                self.flag(keyword.value, self.shown(keyword.value))
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        if any(_name(target) in VISIBLE_ATTRIBUTES for target in node.targets):
            self.flag(node, self.shown(node.value))
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and key.value in VISIBLE_KEYS:
                self.flag(value, self.shown(value))
        self.generic_visit(node)

    def visit_Tuple(self, node: ast.Tuple) -> None:
        # A fieldset: (title, {"fields": ...}).
        if len(node.elts) == 2 and isinstance(node.elts[1], ast.Dict):
            keys = {key.value for key in node.elts[1].keys if isinstance(key, ast.Constant)}
            if "fields" in keys:
                self.flag(node, self.shown(node.elts[0]))
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        outer = self.local
        # A message built in steps: the variables it is made of are checked with it.
        self.local = {**outer}
        for child in ast.walk(node):
            if isinstance(child, ast.Assign) and isinstance(child.targets[0], ast.Name):
                self.local.setdefault(child.targets[0].id, []).append(child.value)
        # What an @admin.display method returns is a column or a read-only field.
        if any(_name(getattr(d, "func", d)) == "display" for d in node.decorator_list):
            for child in ast.walk(node):
                if isinstance(child, ast.Return):
                    self.flag(child, self.shown(child.value))
        self.generic_visit(node)
        self.local = outer


def python_findings(paths: list[Path] = ADMIN_PY) -> list[Finding]:
    findings: list[Finding] = []
    for path in paths:
        visitor = VisibleStrings(path)
        visitor.visit(ast.parse(path.read_text(encoding="utf-8")))
        findings += visitor.findings
    return findings


# --- The admin's templates ---------------------------------------------------------------

_TEMPLATE_COMMENT = re.compile(r"\{#.*?#\}|\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", re.S)
_BLOCKTRANSLATE = re.compile(
    r"\{%\s*blocktrans(?:late)?\b.*?\{%\s*endblocktrans(?:late)?\s*%\}", re.S
)
# Blocks whose content is an attribute's value (class names), not text.
_ATTRIBUTE_BLOCKS = re.compile(
    r"\{%\s*block\s+(?:bodyclass|coltype|stylesheet)\s*%\}.*?\{%\s*endblock\b[^%]*%\}", re.S
)
_TAG = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.S)
_VISIBLE_ATTRIBUTE = re.compile(
    r"""\b(?:title|alt|placeholder|aria-label|aria-description)\s*=\s*(["'])(.*?)\1""", re.S
)
_HTML_TAG = re.compile(r"<[^>]*>", re.S)
_HIDDEN_ELEMENTS = re.compile(r"<(script|style)\b.*?</\1>", re.S)


def template_findings(paths: list[Path] = ADMIN_TEMPLATES) -> list[Finding]:
    """Text of the admin's templates outside {% translate %}/{% blocktranslate %}."""
    findings: list[Finding] = []
    for path in paths:
        source = path.read_text(encoding="utf-8")
        source = _TEMPLATE_COMMENT.sub(" ", source)
        source = _BLOCKTRANSLATE.sub(" ", source)
        source = _ATTRIBUTE_BLOCKS.sub(" ", source)
        source = _TAG.sub(" ", source)
        source = _HIDDEN_ELEMENTS.sub(" ", source)
        source = re.sub(r"&#?\w+;", " ", source)  # &hellip;, &rsaquo;
        texts = [value for _quote, value in _VISIBLE_ATTRIBUTE.findall(source)]
        texts += _HTML_TAG.sub("\n", source).splitlines()
        where = str(path.relative_to(ROOT))
        findings += [Finding(where, text.strip()) for text in texts if english_words(text)]
    return findings


# --- The admin's scripts -----------------------------------------------------------------

_JS_COMMENT = re.compile(r"/\*.*?\*/|(?<![:\"'])//[^\n]*", re.S)
_DATASET_WORDS = re.compile(r"JSON\.parse\(\s*[\w.]+\.dataset\.(\w+)")
_JS_STRING = r"""(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`)"""
_WORDS_OBJECT = re.compile(r"(?:\bwords\s*=\s*|Object\.assign\(\s*)\{")
_WORDS_ENTRY = re.compile(
    rf"(?:^|[{{,])\s*[\"']?(\w+)[\"']?\s*:\s*({_JS_STRING}(?:\s*\+\s*{_JS_STRING})*)"
)
_JS_VISIBLE = [
    re.compile(
        rf"\.(?:textContent|innerText|innerHTML|title|placeholder|alt)\s*=\s*({_JS_STRING})"
    ),
    re.compile(
        rf"setAttribute\(\s*[\"'](?:aria-label|aria-description|title|placeholder|alt)[\"']"
        rf"\s*,\s*({_JS_STRING})"
    ),
    re.compile(rf"\b(?:alert|confirm|prompt|createTextNode)\(\s*({_JS_STRING})"),
]


def _balanced(source: str, start: int) -> str:
    """The {...} that opens at ``start``."""
    depth = 0
    for index in range(start, len(source)):
        if source[index] == "{":
            depth += 1
        elif source[index] == "}":
            depth -= 1
            if depth == 0:
                return source[start : index + 1]
    return source[start:]


def script_words(source: str) -> dict[str, str]:
    """The English fallback words of a script: its ``words`` object (the keys it merges the
    admin's translated words into)."""
    words: dict[str, str] = {}
    for match in _WORDS_OBJECT.finditer(source):
        block = _balanced(source, match.end() - 1)
        for key, value in _WORDS_ENTRY.findall(block):
            words[key] = "".join(part[1:-1] for part in re.findall(_JS_STRING, value))
    return words


def dataset_attribute(name: str) -> str:
    """``completionMessages`` -> ``data-completion-messages``, as the DOM maps them."""
    return "data-" + re.sub(r"[A-Z]", lambda m: "-" + m.group().lower(), name)


def words_functions() -> dict[str, tuple[Path, ast.FunctionDef]]:
    """The admin's words for its scripts: data-*messages attribute -> the function (in
    notes/admin) whose dict fills it, as ``json.dumps(f())``."""
    functions: dict[str, tuple[Path, ast.FunctionDef]] = {}
    attributes: dict[str, str] = {}
    for path in ADMIN_PY:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                functions[node.name] = (path, node)
            if not isinstance(node, ast.Dict):
                continue
            for key, value in zip(node.keys, node.values, strict=True):
                if not (isinstance(key, ast.Constant) and str(key.value).startswith("data-")):
                    continue
                calls = [c for c in ast.walk(value) if isinstance(c, ast.Call)]
                inner = [_name(c.func) for c in calls if _name(c.func) not in ("dumps", "str")]
                if inner and _name(calls[0].func) == "dumps":
                    attributes[key.value] = inner[0]
    return {
        attribute: functions[function]
        for attribute, function in attributes.items()
        if function in functions
    }


def returned_dict(function: ast.FunctionDef) -> ast.Dict | None:
    for node in ast.walk(function):
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Dict):
            return node.value
    return None


def script_findings() -> list[str]:
    problems: list[str] = []
    feeding = words_functions()
    for path in ADMIN_JS:
        where = str(path.relative_to(ROOT))
        source = _JS_COMMENT.sub(" ", path.read_text(encoding="utf-8"))
        for pattern in _JS_VISIBLE:
            for literal in pattern.findall(source):
                if english_words(literal[1:-1]):
                    problems.append(f"{where}: writes {literal} into the page, not a word")
        fallback = script_words(source)
        if not fallback:
            continue
        attributes = [dataset_attribute(name) for name in _DATASET_WORDS.findall(source)]
        if not attributes:
            problems.append(f"{where}: English words {sorted(fallback)} and no data-*messages")
            continue
        keys: set[str] = set()
        for attribute in attributes:
            if attribute not in feeding:
                problems.append(f"{where}: reads {attribute}, which no notes/admin dict fills")
                continue
            source_path, function = feeding[attribute]
            words = returned_dict(function)
            if words is None:
                problems.append(f"{where}: {function.name}() returns no dict literal")
                continue
            for key, value in zip(words.keys, words.values, strict=True):
                keys.add(getattr(key, "value", None))
                for text in unwrapped(value):
                    problems.append(
                        f"{_shown(source_path)}:{value.lineno}: {function.name}() "
                        f"gives {attribute} an untranslated {text!r}"
                    )
        for key in sorted(set(fallback) - keys):
            problems.append(
                f"{where}: {key!r} ({fallback[key]!r}) has no translated word in "
                f"{', '.join(attributes)}"
            )
    return problems


class SourceTests(TestCase):
    def test_the_admins_python_marks_every_visible_string(self) -> None:
        findings = python_findings()
        self.assertEqual([str(finding) for finding in findings], [])

    def test_the_admins_templates_mark_every_visible_string(self) -> None:
        findings = template_findings()
        self.assertEqual([str(finding) for finding in findings], [])

    def test_the_admins_scripts_take_their_words_from_the_admin(self) -> None:
        self.assertEqual(script_findings(), [])

    def test_the_checks_find_what_they_look_for(self) -> None:
        """The checks themselves, on a module, a template and a script written wrong."""
        module = ROOT / "tests" / "admin" / "_language_sample.py"
        source = """
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext as _

class SampleAdmin(admin.ModelAdmin):
    fieldsets = (("Publishing", {"fields": ("status",), "description": "Set the date."}),)

    @admin.display(description="words")
    def column(self, obj):
        return "Nothing yet"

    @admin.action(description=_("Fine"))
    def act(self, request, queryset):
        messages.success(request, f"{queryset.count()} notes published.")
        self.message_user(request, _("Fine %(n)s") % {"n": 1})
        raise ValidationError("Not allowed.")

    def view(self, request):
        return {"title": f"Compare {request}", "ok": _("Fine"),
                "html": format_html("<b>{}</b> saved", _("Fine"))}
"""
        try:
            module.write_text(source, encoding="utf-8")
            found = {finding.text for finding in python_findings([module])}
        finally:
            module.unlink()
        self.assertEqual(
            found,
            {"Publishing", "Set the date.", "words", "Nothing yet", " notes published.",
             "Not allowed.", "Compare ", "<b>{}</b> saved"},
        )  # fmt: skip
        template = ROOT / "tests" / "admin" / "_language_sample.html"
        try:
            template.write_text(
                '{% load i18n %}<p title="Open it">{% translate "Fine" %} Plain words</p>'
                "{% blocktranslate %}Fine {{ x }}{% endblocktranslate %}{# a comment #}"
                "<script>var english = 1;</script><p>{{ value }} — 2026</p>",
                encoding="utf-8",
            )
            found = {finding.text for finding in template_findings([template])}
        finally:
            template.unlink()
        self.assertEqual(found, {"Open it", "Plain words"})
        self.assertEqual(
            script_words('let words = {\n  kept: "Kept " +\n "here",\n "restore": \'Undo\'\n};'),
            {"kept": "Kept here", "restore": "Undo"},
        )
        self.assertEqual(dataset_attribute("completionMessages"), "data-completion-messages")
