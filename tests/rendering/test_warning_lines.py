"""Every render warning names the line of the body where its cause is, in the editor's
language when shown, and a warning repeated on other lines is reported for each of them."""

from __future__ import annotations

import pickle
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import translation

from notes.rendering import (
    CitedWork,
    LinkTarget,
    RenderContext,
    RenderLimits,
    render_markdown,
)
from notes.rendering.editor_warnings import Message, RenderWarning, placed
from tests.admin.test_admin_conflicts import form_data
from tests.factories import make_category, make_note


def lines_of(source: str, context: RenderContext | None = None) -> list[tuple[int | None, str]]:
    return [(warning.line, str(warning)) for warning in render_markdown(source, context).warnings]


def resolving(**targets: LinkTarget) -> RenderContext:
    return RenderContext(resolve_link=lambda key: targets.get(key))


# --- Each kind of warning -----------------------------------------------------------------


def test_unresolved_link() -> None:
    source = "Intro.\n\nSee [[Nowhere]] and more.\n"
    assert lines_of(source) == [(3, "Unresolved link: [[Nowhere]]")]


def test_the_same_link_on_three_lines_is_reported_on_each_once() -> None:
    source = "[[x]] one.\n\n[[x]] two, [[x]] again.\n\nText.\n\n- item [[ x ]]\n"
    assert lines_of(source) == [
        (1, "Unresolved link: [[x]]"),
        (3, "Unresolved link: [[x]]"),
        (7, "Unresolved link: [[x]]"),
    ]


def test_link_to_a_note_readers_cannot_see() -> None:
    draft = LinkTarget(slug="draft", url="/notes/draft/", title="Draft", is_public=False)
    source = "A.\n\nB.\n\nSee [[Draft|the draft]].\n"
    assert lines_of(source, resolving(draft=draft)) == [
        (5, "[[Draft]] links to a note readers cannot see yet (draft)")
    ]


def test_link_in_a_table_cell_with_an_escaped_pipe() -> None:
    source = "| a | b |\n|---|---|\n| 1 | [[lora\\|LoRA]] |\n"
    assert lines_of(source) == [(3, "Unresolved link: [[lora]]")]


def test_link_with_markdown_escapes_in_its_target() -> None:
    assert lines_of("Intro.\n\nSee [[snake\\_case]].\n") == [(3, "Unresolved link: [[snake_case]]")]


def test_image_without_alt_text_is_reported_once_at_its_line() -> None:
    source = "Intro.\n\n![](/media/a.png)\n\nText ![](/media/b.png) inline.\n\n![](/media/a.png)\n"
    message = "Image without alt text (describe it for screen readers): %s"
    assert lines_of(source) == [
        (3, message % "/media/a.png"),
        (5, message % "/media/b.png"),
        (7, message % "/media/a.png"),
    ]


def test_unknown_citation_points_at_its_first_citation() -> None:
    work = CitedWork(key="hu2022lorax", url="/papers/x/", csl={"title": "X"})
    context = RenderContext(resolve_citation=lambda key: work if key == "hu2022lorax" else None)
    source = "Known [@hu2022lorax].\n\nUnknown [@hu2022lora, p. 3].\n\nAgain [@hu2022lora].\n"
    assert lines_of(source, context) == [(3, "Unknown citation: @hu2022lora")]


def test_braced_citation_key() -> None:
    source = "Intro.\n\nSee [@{doi:10.1000/xyz}].\n"
    assert lines_of(source) == [(3, "Unknown citation: @doi:10.1000/xyz")]


def test_reference_to_a_missing_label_in_prose_and_in_formulas() -> None:
    source = (
        "As \\eqref{eq:none} says.\n\n$$\na = b \\eqref{eq:none}\n$$\n\nAlso $x \\ref{eq:gone}$.\n"
    )
    assert lines_of(source) == [
        (1, "No equation is labelled “eq:none” (\\label{eq:none})"),
        (4, "No equation is labelled “eq:none” (\\label{eq:none})"),
        (7, "No equation is labelled “eq:gone” (\\label{eq:gone})"),
    ]


def test_duplicate_label_points_at_the_repeat() -> None:
    source = (
        "$$a \\label{x}$$\n\nText.\n\n"
        "\\begin{align}\nb &= c \\\\\nd &= e \\label{x}\n\\end{align}\n"
    )
    assert lines_of(source) == [(7, "Equation label used twice: \\label{x}")]


def test_formula_not_rendered_inline_and_display() -> None:
    source = "Fine $x$.\n\nBroken $\\frac{1}{$ here.\n\n$$\n\\left( x\n$$\n"
    found = lines_of(source)
    assert [line for line, _ in found] == [3, 5]
    assert all(text.startswith("Formula not rendered") for _, text in found)


def test_the_same_broken_formula_on_two_lines_is_reported_twice() -> None:
    source = "One $\\frac{1}{$.\n\nTwo.\n\nThree $\\frac{1}{$.\n"
    assert [line for line, _ in lines_of(source)] == [1, 5]


def test_broken_display_formula_in_a_quote() -> None:
    """A quote's "> " markers are gone from the formula Markdown hands over."""
    source = "Intro.\n\n> Quoted:\n>\n> $$\\left( x\n> + y$$\n"
    ((line, text),) = lines_of(source)
    assert text.startswith("Formula not rendered")
    assert line == 5


def test_too_many_formulas_is_reported_once_at_the_first_left_out() -> None:
    source = "$a$ and $b$.\n\n$c$ then\n\n$d$ and $e$.\n"
    found = lines_of(source, RenderContext(limits=RenderLimits(formulas=2)))
    assert found == [(3, "Formulas not typeset: a note holds at most 2 formulas")]


def test_formulas_out_of_time_is_reported_once() -> None:
    limits = RenderLimits(math_budget=0)
    found = lines_of("Text.\n\n$a$ and $b$.\n\n$c$.\n", RenderContext(limits=limits))
    assert found == [(3, "Formulas not typeset: the note's formulas took more than 0 seconds")]


def test_unclosed_environment() -> None:
    found = lines_of("Text.\n\n\\begin{gather}\nx = 1\n")
    assert found == [
        (
            3,
            "\\begin{gather} is never closed: write \\end{gather} where the formula ends "
            "(until then it is shown as text)",
        )
    ]


def test_nesting_limit_points_at_the_deepest_line() -> None:
    source = "Text.\n\n" + "".join("    " * depth + "- item\n" for depth in range(6))
    result = render_markdown(source, RenderContext(limits=RenderLimits(nesting=3)))
    (warning,) = result.warnings
    assert warning.startswith("The body is shown unformatted: lists or quotes are nested")
    assert warning.line == 8


def test_length_limit_concerns_the_whole_note() -> None:
    result = render_markdown("x" * 50, RenderContext(limits=RenderLimits(body_chars=10)))
    (warning,) = result.warnings
    assert warning.startswith("The body is shown unformatted: it has 50 characters")
    assert warning.line is None


def test_markdown_failure_concerns_the_whole_note() -> None:
    with mock.patch("markdown.Markdown.convert", side_effect=RuntimeError("boom")):
        result = render_markdown("Text [[x]].")
    assert [(w.line, str(w)) for w in result.warnings] == [
        (None, "Markdown could not be rendered (RuntimeError); the text is shown unformatted.")
    ]


# --- Located by text, not by index ----------------------------------------------------------


def test_text_in_code_before_the_cause_is_skipped() -> None:
    source = (
        "```\n[[x]] in a fence\n![](/a.png)\n```\n\n"
        "Code `[[x]]` then the link [[x]].\n\n"
        "~~~~\n$\\frac{1}{$\n~~~~\n\n"
        "![](/a.png) and $\\frac{1}{$\n"
    )
    found = lines_of(source)
    assert sorted((line, text.split(" (")[0].split(":")[0]) for line, text in found) == [
        (6, "Unresolved link"),
        (12, "Formula not rendered"),
        (12, "Image without alt text"),
    ]


def test_warnings_after_fenced_code_keep_their_lines() -> None:
    source = "```python\nx = 1\ny = 2\nz = 3\n```\n\nText [[after]].\n"
    assert lines_of(source) == [(7, "Unresolved link: [[after]]")]


def test_warnings_are_in_line_order() -> None:
    source = "$$a \\label{x}$$\n\n[[one]]\n\n$$b \\label{x}$$\n\n![](/z.png) [[two]]\n"
    found = lines_of(source, RenderContext(limits=RenderLimits(formulas=1)))
    assert [line for line, _ in found] == [3, 5, 5, 7, 7]
    assert {text.split(":")[0] for line, text in found if line == 5} == {
        "Equation label used twice",
        "Formulas not typeset",
    }


def test_placed_keeps_plain_strings_and_lines_given() -> None:
    warnings = [
        "plain",
        RenderWarning("given", line=9),
        RenderWarning("found %(x)s", {"x": "here"}, source="here"),
        RenderWarning("found %(x)s", {"x": "here"}, source="here"),
    ]
    result = placed(warnings, "a\nb\nhere\nhere")
    assert [(w.line, str(w)) for w in result] == [
        (3, "found here"),
        (4, "found here"),
        (9, "given"),
        (None, "plain"),
    ]
    assert all(w.source is None for w in result)


# --- As stored and as shown ---------------------------------------------------------------


def test_a_warning_is_its_english_text() -> None:
    (warning,) = render_markdown("See [[x]].").warnings
    assert warning == "Unresolved link: [[x]]"
    assert isinstance(warning, str)


def test_a_warning_survives_pickling_with_its_line() -> None:
    """Imports render in worker processes (notes.importexport.ahead)."""
    result = render_markdown("Intro.\n\nSee [[x]].")
    (warning,) = pickle.loads(pickle.dumps(result)).warnings
    assert (str(warning), warning.line) == ("Unresolved link: [[x]]", 3)
    with translation.override("zh-hans"):
        assert warning.translated() == "无法解析的链接：[[x]]"


def test_translated_uses_the_catalogue_for_the_message_and_its_parts() -> None:
    catalogue = {
        "Formula not rendered (%(reason)s): %(formula)s": "公式未能排版（%(reason)s）：%(formula)s",
        "the formula is empty": "公式是空的",
    }
    (warning,) = render_markdown("Intro.\n\n$$ $$\n").warnings
    assert warning.line == 3
    with mock.patch(
        "notes.rendering.editor_warnings.gettext", side_effect=lambda m: catalogue.get(m, m)
    ):
        assert warning.translated() == "公式未能排版（公式是空的）：$$ $$"
    assert str(warning) == "Formula not rendered (the formula is empty): $$ $$"


def test_a_broken_translation_falls_back_to_english() -> None:
    message = Message("Unknown citation: @%(key)s", {"key": "x"})
    with mock.patch("notes.rendering.editor_warnings.gettext", return_value="未知 %(clave)s"):
        assert message.translated() == "Unknown citation: @x"


def test_every_warning_is_translatable() -> None:
    """Each producer hands over a message id and values, never text made up front."""
    source = (
        "[[x]] ![](/a.png) [@nobody] \\eqref{none} $\\frac{1}{$\n\n"
        "$$a \\label{y}$$\n\n$$b \\label{y}$$\n\n\\begin{align}\n"
    )
    warnings = render_markdown(source).warnings
    assert len(warnings) == 7
    for warning in warnings:
        assert warning.msgid != str(warning) or not warning.params, warning
        assert "%(" in warning.msgid, warning


# --- The admin ----------------------------------------------------------------------------


class SavedNoteMessagesTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.editor = get_user_model().objects.create_superuser("editor", "editor@example.com")
        cls.note = make_note("LoRA", category=make_category("ML"), body="Intro.")
        cls.url = reverse("admin:notes_note_change", args=[cls.note.pk])

    def save(self, language: str, body: str):
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(self.editor)
        data = form_data(client.get(self.url))
        data["body"] = body
        data["_continue"] = "Save and continue editing"
        return client.post(self.url, data)

    def test_the_message_after_a_save_names_the_line(self) -> None:
        response = self.save("en", "Intro.\n\nSee [[nowhere]].\n")
        self.assertEqual(response.status_code, 302)
        shown = [str(message) for message in get_messages(response.wsgi_request)]
        self.assertIn("LoRA (line 3): Unresolved link: [[nowhere]]", shown)

    def test_thousands_of_warnings_are_a_few_messages_and_a_count(self) -> None:
        body = "\n\n".join(f"See [[nowhere {i}]]." for i in range(300))
        response = self.save("en", body)
        shown = [
            str(message)
            for message in get_messages(response.wsgi_request)
            if message.level_tag == "warning"
        ]
        self.assertEqual(len(shown), 21)
        self.assertEqual(shown[0], "LoRA (line 1): Unresolved link: [[nowhere 0]]")
        self.assertEqual(shown[-1], "280 more warnings: the preview lists them all.")

    def test_the_message_is_in_the_admins_language(self) -> None:
        response = self.save("zh-hans", "Intro.\n\nSee [[nowhere]].\n")
        with translation.override("zh-hans"):
            warning = RenderWarning("Unresolved link: [[%(target)s]]", {"target": "nowhere"})
            from django.utils.translation import gettext

            expected = gettext("%(title)s (line %(line)s): %(warning)s") % {
                "title": "LoRA",
                "line": 3,
                "warning": warning.translated(),
            }
        shown = [str(message) for message in get_messages(response.wsgi_request)]
        self.assertIn(expected, shown)


@pytest.mark.parametrize("line", [1, 2])
def test_line_numbers_are_one_based(line: int) -> None:
    source = "\n" * (line - 1) + "[[x]]"
    assert lines_of(source) == [(line, "Unresolved link: [[x]]")]
