"""A note's own page, and staff previews of notes readers cannot see yet."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from django.contrib.auth import get_user_model
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from notes.models import Note
from tests.factories import RICH_BODY, draft_and_scheduled, make_category, make_note
from tests.views.helpers import FriendlyNotFoundMixin, alternate_feeds, collect, content_of, head_of

# --- A note -------------------------------------------------------------------------


class NoteDetailPageTests(FriendlyNotFoundMixin, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        now = timezone.now()
        cls.category = make_category("大模型 LLM")
        other = make_category("强化学习 RL")
        cls.oldest = make_note("Oldest note", category=other, published_at=now - timedelta(days=9))
        cls.note = make_note(
            "注意力机制",
            category=cls.category,
            tags=["注意力", "Transformer"],
            body=RICH_BODY,
            published_at=now - timedelta(days=5),
        )
        # Hidden notes sit between and after the public ones: they must never be neighbours.
        make_note(
            "Hidden older draft",
            category=cls.category,
            status=Note.Status.DRAFT,
            published_at=now - timedelta(days=7),
        )
        make_note(
            "Hidden newer draft",
            category=cls.category,
            status=Note.Status.DRAFT,
            published_at=now - timedelta(days=3),
        )
        cls.newest = make_note("Newest note", category=other, published_at=now - timedelta(days=1))
        cls.draft, cls.scheduled = draft_and_scheduled(cls.category)

    def get_note(self, note: Note):
        return self.client.get(note.get_absolute_url())

    def test_chinese_title_gives_a_chinese_slug(self) -> None:
        self.assertEqual(self.note.slug, "注意力机制")

    def test_chinese_slug_is_reachable_at_its_percent_encoded_url(self) -> None:
        url = "/notes/" + quote("注意力机制") + "/"
        self.assertEqual(reverse("notes:detail", kwargs={"slug": "注意力机制"}), url)
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        self.assertInHTML('<h1 class="note-title">注意力机制</h1>', content_of(response))

    def test_shows_title_date_category_and_tag_links(self) -> None:
        response = self.get_note(self.note)
        html = content_of(response)
        self.assertInHTML(f'<h1 class="note-title">{self.note.title}</h1>', html)
        published = timezone.localtime(self.note.published_at)
        self.assertInHTML(
            f'<time datetime="{published.isoformat()}">{date_format(published)}</time>', html
        )
        self.assertInHTML(
            f'<a class="category-label" href="{self.category.get_absolute_url()}">'
            f"{self.category.name}</a>",
            html,
        )
        for tag in self.note.tags.all():
            self.assertInHTML(
                f'<a class="tag" href="{reverse("notes:tag", args=[tag.slug])}">#{tag.name}</a>',
                html,
            )

    def test_shows_the_rendered_body(self) -> None:
        """Markdown arrives as HTML: heading, highlighted code block and table."""
        html = content_of(self.get_note(self.note))
        self.assertInHTML('<h2 id="方法-method">方法 Method</h2>', html)
        self.assertIn('<div class="highlight" data-lang="python"><pre tabindex="0">', html)
        self.assertIn('<span class="nf">attention</span>', html)
        self.assertInHTML("<th>Model</th>", html)
        self.assertInHTML("<td>GPT-2</td>", html)
        self.assertNotIn("```", html)

    def test_neighbours_are_the_adjacent_public_notes_in_date_order(self) -> None:
        """Previous is the next older public note, next the next newer; drafts are skipped."""
        anchors = collect(content_of(self.get_note(self.note))).anchors
        previous = [a["href"] for a in anchors if a.get("rel") == "prev"]
        following = [a["href"] for a in anchors if a.get("rel") == "next"]
        self.assertEqual(previous, [self.oldest.get_absolute_url()])
        self.assertEqual(following, [self.newest.get_absolute_url()])

    def test_oldest_note_has_no_previous_link(self) -> None:
        anchors = collect(content_of(self.get_note(self.oldest))).anchors
        self.assertEqual([a["href"] for a in anchors if a.get("rel") == "prev"], [])
        self.assertEqual(
            [a["href"] for a in anchors if a.get("rel") == "next"], [self.note.get_absolute_url()]
        )

    def test_newest_note_does_not_link_to_a_scheduled_note(self) -> None:
        response = self.get_note(self.newest)
        anchors = collect(content_of(response)).anchors
        self.assertEqual([a["href"] for a in anchors if a.get("rel") == "next"], [])
        self.assertNotContains(response, self.scheduled.title)

    def test_unknown_slug_gives_the_friendly_404(self) -> None:
        self.assert_friendly_404(self.client.get("/notes/no-such-note/"))

    def test_draft_gives_404(self) -> None:
        self.assert_friendly_404(self.get_note(self.draft))

    def test_scheduled_note_gives_404_until_its_date(self) -> None:
        self.assert_friendly_404(self.get_note(self.scheduled))

    def test_head_advertises_the_site_feeds_and_the_notes_citation(self) -> None:
        self.assertEqual(
            alternate_feeds(self.get_note(self.note)),
            {
                "application/rss+xml": reverse("notes:feed"),
                "application/atom+xml": reverse("notes:feed-atom"),
                "application/x-bibtex": reverse("notes:note-bibtex", args=[self.note.slug]),
            },
        )


# --- Preview ------------------------------------------------------------------------


class PreviewTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        category = make_category()
        cls.draft, cls.scheduled = draft_and_scheduled(category)
        user_model = get_user_model()
        cls.staff = user_model.objects.create_user("editor", is_staff=True)
        cls.reader = user_model.objects.create_user("reader")

    def preview_url(self, note: Note) -> str:
        return reverse("notes:preview", kwargs={"pk": note.pk})

    def test_anonymous_visitor_is_sent_to_the_admin_login(self) -> None:
        url = self.preview_url(self.draft)
        response = self.client.get(url)
        self.assertRedirects(
            response, f"{reverse('admin:login')}?next={url}", fetch_redirect_response=False
        )

    def test_logged_in_non_staff_user_does_not_see_the_draft(self) -> None:
        self.client.force_login(self.reader)
        url = self.preview_url(self.draft)
        response = self.client.get(url)
        self.assertRedirects(
            response, f"{reverse('admin:login')}?next={url}", fetch_redirect_response=False
        )
        self.assertNotContains(response, self.draft.title, status_code=302)

    def test_staff_see_the_draft(self) -> None:
        self.client.force_login(self.staff)
        response = self.client.get(self.preview_url(self.draft))
        self.assertInHTML(f'<h1 class="note-title">{self.draft.title}</h1>', content_of(response))

    def test_staff_see_a_scheduled_note(self) -> None:
        self.client.force_login(self.staff)
        response = self.client.get(self.preview_url(self.scheduled))
        self.assertInHTML(
            f'<h1 class="note-title">{self.scheduled.title}</h1>', content_of(response)
        )

    def test_preview_is_not_indexed(self) -> None:
        self.client.force_login(self.staff)
        response = self.client.get(self.preview_url(self.draft))
        self.assertIn('<meta name="robots" content="noindex', head_of(response))
        self.assertIn("noindex", response["X-Robots-Tag"])

    def test_preview_is_never_cached(self) -> None:
        self.client.force_login(self.staff)
        response = self.client.get(self.preview_url(self.draft))
        directives = {d.strip() for d in response["Cache-Control"].split(",")}
        self.assertLessEqual({"no-cache", "no-store", "private"}, directives)
