"""The editors' interface speaks one language: every message, label and script text of the
notes admin goes through gettext, so an editor in Chinese sees no English sentence and an
editor in English no Chinese one.

Three checks, from the source to the page:

* the admin's Python (notes/admin/*.py): a user-visible string literal — a message, a label,
  a help text, a description, a fieldset title, a validation error, format_html's text — that
  is not wrapped in gettext fails, wherever it is and whether or not a page shows it today;
* the admin's templates (templates/admin/**) the same way: text outside {% translate %} and
  {% blocktranslate %};
* the admin's scripts (static/admin/*.js): every English fallback word of a script has its
  key in the gettext'd words the admin passes it (a data-*messages attribute), and no script
  writes an English literal into the page;
* the pages themselves, in zh-hans: no visible English text (outside what the test wrote and a
  few proper nouns and technical names). A string marked for translation but not translated
  yet renders in English and fails here too; the failure says which strings the catalogue
  (locale/zh_Hans) knows, so "not marked" and "not translated yet" are told apart.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import reversion
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from lxml import html as lxml_html

from notes import revisions
from notes.models import Paper, PaperFinding, PreviewLink, Series, TagAlias
from tests.factories import make_category, make_note
from tests.test_translations import po_entries

ROOT = Path(settings.BASE_DIR)
ADMIN_PY = sorted((ROOT / "notes" / "admin").glob("*.py"))
ADMIN_TEMPLATES = sorted((ROOT / "templates" / "admin").rglob("*.html"))
ADMIN_JS = sorted((ROOT / "static" / "admin").glob("*.js"))

GETTEXT = {
    "gettext", "gettext_lazy", "_", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy",
    "npgettext", "npgettext_lazy", "gettext_noop",
}  # fmt: skip
# Proper nouns and technical names that stay as they are in every language.
NAMES = {
    "markdown", "bibtex", "arxiv", "doi", "url", "urls", "png", "jpeg", "gif", "webp", "svg",
    "mb", "id", "django", "latex", "rss", "atom", "ctrl", "mac", "pdf", "crossref", "csl", "utc",
    "neurips", "iclr", "nature", "dreamfusion", "json", "html", "css", "orcid", "isbn",
}  # fmt: skip
WORD = re.compile(r"[A-Za-z][A-Za-z'’]*[A-Za-z]")
# Not words of a sentence: code, names, addresses and examples inside translated text.
TECHNICAL = re.compile(
    r"\S*[_/@\\$]\S*"  # check_papers, /updates/, [@key], $math$
    r"|\S*\d\S*"  # hu2021lora, v2, 2106.09685
    r"|\b[\w-]+(?:\.[\w-]+)+\b"  # arxiv.org
    r"|\[\[[^\]]*\]\]"  # [[links]]
    r"|!?\[[^\]]*\]\([^)]*\)"  # Markdown: ![alt](pending-figure:…)
    r"|%\(\w+\)[sd]|\{\{[^}]*\}\}|\{\w*\}"  # placeholders
)


def english_words(text: str, names: set[str] = NAMES) -> list[str]:
    """The words of ``text`` that are English prose, names and technical tokens aside."""
    text = TECHNICAL.sub(" ", text.replace(settings.SITE_NAME, " "))
    return [word for word in WORD.findall(text) if word.lower() not in names]


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


# --- The pages ---------------------------------------------------------------------------

# What Django's admin and django-taggit leave in English in Chinese (not ours to change):
# the search box's icon, the app index's column headings for screen readers, and taggit's
# merge action (taggit marks none of its admin's strings).
DJANGO_ENGLISH = {
    ("img", "alt", "Search"),
    ("th", "", "Model name"),
    ("th", "", "Add link"),
    ("th", "", "Change or view list link"),
    ("option", "", "Merge selected tags"),
    # Django 6's admin, newer than its own Chinese catalogue: the filter's heading for screen
    # readers and the empty choice of a select.
    ("option", "", "- Select an option -"),
}
DJANGO_ENGLISH_PATTERNS = [("span", "", re.compile(r"Filter by \S.*"))]


def _djangos_own(tag: str, attribute: str, text: str) -> bool:
    return (tag, attribute, text) in DJANGO_ENGLISH or any(
        (tag, attribute) == (pattern_tag, pattern_attribute) and pattern.fullmatch(text)
        for pattern_tag, pattern_attribute, pattern in DJANGO_ENGLISH_PATTERNS
    )


# Shown by the browser only when asked for (display: none), or never shown.
HIDDEN_CLASSES = {"hidden", "empty-form"}
SKIPPED_TAGS = {"script", "style", "textarea", "code", "pre", "template"}


def visible_texts(html: str) -> list[tuple[str, str]]:
    """(where, text) of every piece of text an editor sees or hears on an admin page: text,
    the title, buttons' labels, and title/alt/placeholder/aria-label attributes. Not the
    admin's sidebar (other apps' names), not text areas, code or hidden rows."""
    document = lxml_html.fromstring(html)
    found: list[tuple[str, str]] = []

    def skipped(element) -> bool:
        if not isinstance(element.tag, str) or element.tag in SKIPPED_TAGS:
            return True
        if element.get("id") == "nav-sidebar" or element.get("hidden") is not None:
            return True
        return bool(HIDDEN_CLASSES & set((element.get("class") or "").split()))

    def walk(element) -> None:
        if skipped(element):
            return
        if element.text and element.text.strip():
            found.append((element.tag, element.text.strip()))
        for name in ("title", "alt", "placeholder", "aria-label"):
            if element.get(name):
                found.append((f"{element.tag}@{name}", element.get(name)))
        if element.tag == "input" and element.get("type") in ("submit", "button", "reset"):
            found.append(("input@value", element.get("value") or ""))
        for child in element:
            walk(child)
            if child.tail and child.tail.strip():
                found.append((element.tag, child.tail.strip()))

    walk(document)
    return found


def catalogue() -> dict[str, bool]:
    """The catalogue's msgids, each with whether it is translated."""
    return {
        entry["msgid"]: bool(entry["translations"] and all(entry["translations"]))
        and not entry["fuzzy"]
        for entry in po_entries()
    }


def _msgid_pattern(msgid: str) -> re.Pattern[str]:
    parts = re.split(r"%\(\w+\)[sd]|%[sd]|\{\{\s*\w+\s*\}\}", msgid)
    return re.compile(r"\s*" + ".+?".join(re.escape(" ".join(p.split())) for p in parts) + r"\s*")


def explain(text: str, known: dict[str, bool]) -> str:
    """Whether the catalogue has this text: marked but not translated yet, or unknown to it
    (not marked, or marked since the catalogue was last made)."""
    flat = " ".join(text.split())
    for msgid, translated in known.items():
        if english_words(msgid) and _msgid_pattern(msgid).fullmatch(flat):
            if translated:
                return "the catalogue translates it: the code shows it without gettext"
            return "marked, not translated yet"
    return "not in the catalogue: not marked, or marked since `make messages`"


class RenderedPagesTests(TestCase):
    """Every page of the notes admin, as a Chinese-speaking editor gets it."""

    @classmethod
    def setUpTestData(cls) -> None:
        # Everything the test writes is Chinese, so English on a page is the interface's.
        cls.editor = get_user_model().objects.create_superuser("编辑甲", "editor@example.com")
        cls.category = make_category("分类甲", slug="分类甲")
        cls.series = Series.objects.create(title="系列甲", slug="系列甲")
        cls.paper = Paper.objects.create(
            title="论文甲", arxiv="2106.09685", year=2022, key="甲2022"
        )
        cls.note = make_note(
            "笔记甲", slug="笔记甲", category=cls.category, series=cls.series,
            series_position=1, tags=["标签甲"], body="正文一。",
        )  # fmt: skip
        cls.note.papers.add(cls.paper)
        cls.draft = make_note("草稿甲", slug="草稿甲", category=cls.category, status="draft",
                              body="[[笔记甲]]")  # fmt: skip
        cls.finding = PaperFinding.objects.create(
            paper=cls.paper, kind=PaperFinding.Kind.NEW_VERSION, value="v2", detail={"latest": 2}
        )
        PreviewLink.objects.create(
            note=cls.note, created_by=cls.editor, expires_at=timezone.now() + timedelta(days=7)
        )
        from taggit.models import Tag

        cls.tag = Tag.objects.get(name="标签甲")
        TagAlias.objects.create(tag=cls.tag, name="别名甲")
        # Three versions that differ in the body and in the details the compare page lists.
        for title, body, status in (("笔记甲", "正文一。", "published"),
                                    ("笔记甲二", "正文二。\n新的一行。", "draft"),
                                    ("笔记甲", "正文三。", "published")):  # fmt: skip
            with reversion.create_revision():
                cls.note.title, cls.note.body, cls.note.status = title, body, status
                cls.note.save()
                revisions.add_note_to_revision(cls.note)
                reversion.set_user(cls.editor)
                reversion.set_comment("第一次修改")
        cls.versions = list(revisions.note_versions(cls.note))
        cls.data = {json.dumps(cls.finding.detail), cls.paper.key}

    def setUp(self) -> None:
        self.client.force_login(self.editor)

    def pages(self) -> list[str]:
        note, paper = self.note.pk, self.paper.pk
        first, last = self.versions[0].pk, self.versions[-1].pk
        return [
            "/admin/notes/note/", "/admin/notes/note/?status__exact=draft",
            "/admin/notes/note/add/", f"/admin/notes/note/{note}/change/",
            f"/admin/notes/note/{self.draft.pk}/change/",
            f"/admin/notes/note/{note}/history/",
            f"/admin/notes/note/{note}/history/compare/?from={first}&to={last}",
            f"/admin/notes/note/{note}/history/compare/?to={self.versions[1].pk}",
            f"/admin/notes/note/{note}/history/{first}/",
            f"/admin/notes/note/{note}/delete/", "/admin/notes/note/recover/",
            "/admin/notes/paper/", "/admin/notes/paper/add/", f"/admin/notes/paper/{paper}/change/",
            f"/admin/notes/paper/{paper}/history/",
            "/admin/notes/category/", "/admin/notes/category/add/",
            f"/admin/notes/category/{self.category.pk}/change/",
            "/admin/notes/series/", "/admin/notes/series/add/",
            f"/admin/notes/series/{self.series.pk}/change/",
            "/admin/notes/paperfinding/", f"/admin/notes/paperfinding/{self.finding.pk}/change/",
            "/admin/taggit/tag/", f"/admin/taggit/tag/{self.tag.pk}/change/",
            "/admin/notes/",
        ]  # fmt: skip

    def english_on(self, html: str) -> list[tuple[str, str]]:
        return [
            (where, text)
            for where, text in visible_texts(html)
            if english_words(text)
            and text not in self.data
            and not _djangos_own(where.split("@")[0], where.partition("@")[2], text)
        ]

    def assert_no_english(self, found: dict[str, list[tuple[str, str]]]) -> None:
        known = catalogue()
        report = [
            f"{page} <{where}> {text[:120]!r} — {explain(text, known)}"
            for page, texts in found.items()
            for where, text in dict.fromkeys(texts)
        ]
        self.assertEqual(report, [], "\n" + "\n".join(report))

    def test_no_english_on_any_page(self) -> None:
        found = {}
        for url in self.pages():
            response = self.client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
            self.assertEqual(response.status_code, 200, url)
            self.assertEqual(response["Content-Language"], "zh-hans", url)
            if english := self.english_on(response.content.decode()):
                found[url] = english
        self.assert_no_english(found)

    def test_no_english_in_messages_after_actions(self) -> None:
        """What the bulk actions and a restore say, on the page they lead to."""
        found = {}
        changelist = reverse("admin:notes_note_changelist")
        for action in ("publish", "unpublish"):
            response = self.client.post(
                changelist,
                {"action": action, "_selected_action": [self.note.pk, self.draft.pk]},
                follow=True,
                HTTP_ACCEPT_LANGUAGE="zh-hans",
            )
            if english := self.english_on(response.content.decode()):
                found[f"action {action}"] = english
        restore = reverse("admin:notes_note_restore", args=[self.note.pk, self.versions[0].pk])
        response = self.client.post(restore, follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
        if english := self.english_on(response.content.decode()):
            found["restore"] = english
        history = self.client.get(
            reverse("admin:notes_note_history", args=[self.note.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
        if english := self.english_on(history.content.decode()):
            found["history after the actions"] = english
        self.assert_no_english(found)

    def test_the_scripts_words_are_chinese(self) -> None:
        """The words the note form hands its scripts (data-*messages), in the admin's language."""
        html = self.client.get(
            reverse("admin:notes_note_change", args=[self.note.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
        ).content.decode()
        document = lxml_html.fromstring(html)
        found = {}
        attributes = 0
        for element in document.iter():
            for name, value in element.attrib.items():
                if name.startswith("data-") and name.endswith("messages"):
                    attributes += 1
                    for key, text in json.loads(value).items():
                        if english_words(text):
                            found.setdefault(name, []).append((key, text))
        self.assertGreater(attributes, 0)
        self.assert_no_english(found)
