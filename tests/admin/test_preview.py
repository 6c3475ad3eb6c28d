"""The admin's live preview: unsaved Markdown rendered by the saving pipeline, staff only."""

from __future__ import annotations

import re
from html import unescape

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.templatetags.static import static
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import translation

from notes.models import Figure, Note
from notes.rendering.editor_warnings import RenderWarning
from tests.factories import make_category, make_note

PREVIEW = reverse("admin:notes_note_preview")

# Math, highlighted code, a wiki link to an existing note, a script and three headings.
RICH_BODY = """\
## 方法 Method

Scaled attention is $\\operatorname{softmax}(QK^T/\\sqrt{d})V$, see [[Attention Is All You Need]].

```python
def attention(q, k, v):
    return softmax(q @ k.T) @ v
```

<script>alert("xss")</script>

## Results

Numbers.

## Limits

Few.
"""


class PreviewTestCase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        users = get_user_model().objects
        cls.editor = users.create_superuser("editor", "editor@example.com")
        cls.category = make_category("大模型 LLM")
        cls.target = make_note("Attention Is All You Need", category=cls.category)
        cls.note = make_note("Note with a figure", category=cls.category, body="Intro.")
        # A figure row with its recorded size; no file is needed to look the size up.
        cls.figure = Figure.objects.create(
            note=cls.note,
            image=f"figures/{cls.note.pk}/0123abcd.png",
            alt="Heat map",
            width=120,
            height=80,
        )

    def setUp(self) -> None:
        self.client.force_login(self.editor)

    def preview(self, body: str, **extra):
        return self.client.post(PREVIEW, {"body": body, **extra})


class PreviewContentTests(PreviewTestCase):
    def test_answers_json_with_html_warnings_toc_and_reading_time(self) -> None:
        response = self.preview(RICH_BODY)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/json")
        data = response.json()
        self.assertEqual(set(data), {"html", "warnings", "toc_html", "reading_minutes"})
        self.assertIsInstance(data["warnings"], list)
        self.assertIsInstance(data["reading_minutes"], int)
        self.assertGreaterEqual(data["reading_minutes"], 1)

    def test_preview_is_what_saving_the_note_would_publish(self) -> None:
        data = self.preview(RICH_BODY).json()
        saved = make_note("Saved copy", category=self.category, body=RICH_BODY)
        self.assertEqual(data["html"], saved.body_html)
        self.assertEqual(data["toc_html"], saved.toc_html)
        self.assertEqual(data["reading_minutes"], saved.reading_minutes)

    def test_math_becomes_mathml(self) -> None:
        html = self.preview("Energy $E = mc^2$.").json()["html"]
        self.assertRegex(html, r"<math\b[^>]*>.*<mi>E</mi>.*</math>")

    def test_code_is_highlighted(self) -> None:
        html = self.preview("```python\ndef f():\n    return 1\n```").json()["html"]
        self.assertIn('<div class="highlight" data-lang="python">', html)
        self.assertRegex(html, r'<span class="k">def</span>')

    def test_wiki_link_to_an_existing_note_is_resolved(self) -> None:
        html = self.preview("See [[Attention Is All You Need]].").json()["html"]
        self.assertRegex(html, rf'<a [^>]*href="{re.escape(self.target.get_absolute_url())}"')

    def test_script_is_removed_by_the_sanitizer(self) -> None:
        html = self.preview('Text <script>alert("xss")</script> more.').json()["html"]
        self.assertNotIn("<script", html)

    def test_table_of_contents_for_three_headings(self) -> None:
        toc = self.preview(RICH_BODY).json()["toc_html"]
        self.assertEqual(
            re.findall(r'<a href="#[^"]+">([^<]+)</a>', toc), ["方法 Method", "Results", "Limits"]
        )

    def test_warnings_are_reported(self) -> None:
        warnings = self.preview("![](/media/figures/unknown.png)").json()["warnings"]
        self.assertEqual(len(warnings), 1)
        self.assertEqual(set(warnings[0]), {"text", "line"})
        self.assertIn("/media/figures/unknown.png", warnings[0]["text"])
        self.assertEqual(warnings[0]["line"], 1)

    def test_warnings_are_in_the_admins_language_with_their_lines(self) -> None:
        body = "Intro.\n\nSee [[nowhere]].\n\n![](/media/figures/unknown.png)\n"
        link = RenderWarning("Unresolved link: [[%(target)s]]", {"target": "nowhere"})
        image = RenderWarning(
            "Image without alt text (describe it for screen readers): %(src)s",
            {"src": "/media/figures/unknown.png"},
        )
        for language in ("zh-hans", "en"):
            with translation.override(language):
                expected = [
                    {"text": link.translated(), "line": 3},
                    {"text": image.translated(), "line": 5},
                ]
            response = self.client.post(PREVIEW, {"body": body}, HTTP_ACCEPT_LANGUAGE=language)
            self.assertEqual(response.json()["warnings"], expected, language)
        self.assertEqual(
            expected,
            [
                {"text": "Unresolved link: [[nowhere]]", "line": 3},
                {
                    "text": "Image without alt text (describe it for screen readers): "
                    "/media/figures/unknown.png",
                    "line": 5,
                },
            ],
        )

    def test_figure_sizes_of_the_given_note_are_applied(self) -> None:
        body = f'![Heat map]({self.figure.image.url} "Caption")'
        html = self.preview(body, note_id=str(self.note.pk)).json()["html"]
        img = dict(re.findall(r'([\w-]+)="([^"]*)"', re.search(r"<img [^>]*>", html).group(0)))
        self.assertEqual((img["width"], img["height"]), ("120", "80"))

    def test_without_note_id_no_sizes_are_guessed(self) -> None:
        html = self.preview(f"![Heat map]({self.figure.image.url})").json()["html"]
        self.assertIn("<img ", html)
        self.assertNotIn("width=", html)

    def test_nothing_is_saved(self) -> None:
        before = list(Note.objects.order_by("pk").values_list("pk", "body", "body_html"))
        self.preview(RICH_BODY, note_id=str(self.note.pk))
        after = list(Note.objects.order_by("pk").values_list("pk", "body", "body_html"))
        self.assertEqual(after, before)


class PreviewAccessTests(PreviewTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        users = get_user_model().objects
        cls.reader = users.create_user("reader", "reader@example.com")
        cls.bare_staff = users.create_user("staff", "staff@example.com", is_staff=True)
        cls.adder = users.create_user("adder", "adder@example.com", is_staff=True)
        cls.adder.user_permissions.add(Permission.objects.get(codename="add_note"))

    def test_anonymous_is_sent_to_the_login_page(self) -> None:
        self.client.logout()
        response = self.preview("Hello")
        self.assertRedirects(
            response, f"{reverse('admin:login')}?next={PREVIEW}", fetch_redirect_response=False
        )

    def test_logged_in_non_staff_gets_no_preview(self) -> None:
        self.client.force_login(self.reader)
        response = self.preview("Hello")
        self.assertRedirects(
            response, f"{reverse('admin:login')}?next={PREVIEW}", fetch_redirect_response=False
        )

    def test_staff_without_note_permissions_is_forbidden(self) -> None:
        self.client.force_login(self.bare_staff)
        self.assertEqual(self.preview("Hello").status_code, 403)

    def test_staff_who_may_add_notes_gets_a_preview(self) -> None:
        self.client.force_login(self.adder)
        response = self.preview("Hello *world*")
        self.assertEqual(response.status_code, 200)
        self.assertIn("<em>world</em>", response.json()["html"])

    def test_get_is_not_allowed(self) -> None:
        self.assertEqual(self.client.get(PREVIEW, {"body": "Hello"}).status_code, 405)


class PreviewCsrfTests(PreviewTestCase):
    def setUp(self) -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.client.force_login(self.editor)

    def test_post_without_token_is_refused(self) -> None:
        self.assertEqual(self.preview("Hello").status_code, 403)

    def test_post_with_the_change_pages_token_is_accepted(self) -> None:
        """As note-preview.js does: the form's token sent in X-CSRFToken, with the cookie."""
        page = self.client.get(reverse("admin:notes_note_change", args=[self.note.pk]))
        token = re.search(
            r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()
        ).group(1)
        self.assertIn("csrftoken", page.cookies)
        response = self.client.post(
            PREVIEW, {"body": "Hello", "note_id": str(self.note.pk)}, headers={"X-CSRFToken": token}
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("Hello", response.json()["html"])


class ChangePageTests(PreviewTestCase):
    def change_page(self) -> str:
        url = reverse("admin:notes_note_change", args=[self.note.pk])
        return self.client.get(url).content.decode()

    def test_includes_the_preview_script_as_a_static_file(self) -> None:
        self.assertIn(
            f'<script src="{static("admin/note-preview.js")}"></script>', self.change_page()
        )

    def test_body_textarea_names_the_preview_endpoint_and_note(self) -> None:
        textarea = re.search(r'<textarea[^>]*name="body"[^>]*>', self.change_page()).group(0)
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', textarea))
        self.assertEqual(unescape(attrs["data-preview-url"]), PREVIEW)
        self.assertEqual(attrs["data-note-id"], str(self.note.pk))

    def test_add_page_textarea_names_the_endpoint_without_a_note(self) -> None:
        html = self.client.get(reverse("admin:notes_note_add")).content.decode()
        textarea = re.search(r'<textarea[^>]*name="body"[^>]*>', html).group(0)
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', textarea))
        self.assertEqual(unescape(attrs["data-preview-url"]), PREVIEW)
        self.assertEqual(attrs["data-note-id"], "")

    def test_page_has_no_inline_javascript(self) -> None:
        """Scripts come from files; a <script> without src may only hold JSON data."""
        scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", self.change_page(), re.DOTALL)
        self.assertTrue(scripts)
        inline_code = [
            (attrs, body)
            for attrs, body in scripts
            if not re.search(r"\bsrc=", attrs)
            and not re.search(r'\btype="application/(?:ld\+)?json"', attrs)
        ]
        self.assertEqual(inline_code, [])
        with_src_and_code = [body for attrs, body in scripts if "src=" in attrs and body.strip()]
        self.assertEqual(with_src_and_code, [])
