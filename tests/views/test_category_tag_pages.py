"""A category's page and a tag's page: their notes, their names, their feeds, their 404s."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from notes.models import Note
from tests.factories import draft_and_scheduled, make_category, make_note, make_notes
from tests.views.helpers import (
    PER_PAGE,
    FriendlyNotFoundMixin,
    alternate_feeds,
    collect,
    content_of,
    listed_titles,
    rel_hrefs,
)

# --- Categories ---------------------------------------------------------------------


class CategoryPageTests(FriendlyNotFoundMixin, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.category = make_category("三维视觉 3D Vision", description="NeRF、高斯泼溅与三维重建。")
        cls.notes = make_notes(PER_PAGE + 3, category=cls.category, prefix="Vision")
        cls.other = make_category("强化学习 RL")
        cls.other_notes = make_notes(2, category=cls.other, prefix="Other")
        cls.draft, cls.scheduled = draft_and_scheduled(cls.category)

    def get_category(self, **params):
        return self.client.get(self.category.get_absolute_url(), params)

    def test_lists_only_its_own_notes_newest_first(self) -> None:
        self.assertEqual(
            listed_titles(self.get_category()), [n.title for n in self.notes[:PER_PAGE]]
        )

    def test_shows_name_and_description(self) -> None:
        html = content_of(self.get_category())
        self.assertInHTML(f'<h1 class="page-title">{self.category.name}</h1>', html)
        self.assertInHTML(f'<p class="page-description">{self.category.description}</p>', html)

    def test_is_paginated(self) -> None:
        response = self.get_category(page=2)
        self.assertEqual(listed_titles(response), [n.title for n in self.notes[PER_PAGE:]])
        self.assertEqual(rel_hrefs(response, "prev"), ["?page=1"])

    def test_drafts_and_scheduled_notes_are_not_listed(self) -> None:
        for page in (1, 2):
            response = self.get_category(page=page)
            self.assertNotContains(response, self.draft.title)
            self.assertNotContains(response, self.scheduled.title)

    def test_navigation_marks_the_current_category(self) -> None:
        anchors = collect(content_of(self.get_category())).anchors
        current = [a["href"] for a in anchors if a.get("aria-current") == "page"]
        self.assertEqual(current, [self.category.get_absolute_url()])

    def test_head_advertises_the_category_feeds(self) -> None:
        slug = self.category.slug
        self.assertEqual(
            alternate_feeds(self.get_category()),
            {
                "application/rss+xml": reverse("notes:category-feed", args=[slug]),
                "application/atom+xml": reverse("notes:category-feed-atom", args=[slug]),
            },
        )

    def test_unknown_category_gives_the_friendly_404(self) -> None:
        self.assert_friendly_404(self.client.get("/category/no-such-category/"))

    def test_bad_page_number_gives_the_friendly_404(self) -> None:
        self.assert_friendly_404(self.get_category(page="abc"))


# --- Tags ---------------------------------------------------------------------------


class TagPageTests(FriendlyNotFoundMixin, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        category = make_category()
        cls.tagged = make_notes(3, category=category, tags=["扩散模型"], prefix="Diffusion")
        cls.untagged = make_note("Untagged note", category=category, tags=["其他"])
        cls.draft, cls.scheduled = draft_and_scheduled(category, tags=["扩散模型"])
        make_note("Draft only", category=category, tags=["草稿专用"], status=Note.Status.DRAFT)
        make_note(
            "Scheduled only",
            category=category,
            tags=["未来"],
            published_at=timezone.now() + timedelta(days=2),
        )
        cls.tag = cls.tagged[0].tags.get()

    def get_tag(self, slug: str):
        return self.client.get(reverse("notes:tag", args=[slug]))

    def test_chinese_tag_keeps_its_characters_in_the_slug(self) -> None:
        self.assertEqual(self.tag.slug, "扩散模型")

    def test_chinese_tag_page_lists_only_its_published_notes(self) -> None:
        response = self.client.get("/tag/" + quote("扩散模型") + "/")
        self.assertEqual(listed_titles(response), [n.title for n in self.tagged])

    def test_shows_the_tag_name(self) -> None:
        self.assertInHTML(
            '<h1 class="page-title">#扩散模型</h1>', content_of(self.get_tag("扩散模型"))
        )

    def test_drafts_and_scheduled_notes_are_not_listed(self) -> None:
        response = self.get_tag(self.tag.slug)
        self.assertNotContains(response, self.draft.title)
        self.assertNotContains(response, self.scheduled.title)

    def test_head_advertises_the_tag_feeds(self) -> None:
        slug = self.tag.slug
        self.assertEqual(
            alternate_feeds(self.get_tag(slug)),
            {
                "application/rss+xml": reverse("notes:tag-feed", args=[slug]),
                "application/atom+xml": reverse("notes:tag-feed-atom", args=[slug]),
            },
        )

    def test_unknown_tag_gives_the_friendly_404(self) -> None:
        self.assert_friendly_404(self.get_tag("no-such-tag"))

    def test_tag_used_only_by_drafts_gives_404(self) -> None:
        """The tag exists, but showing its page would reveal an unpublished note's topic."""
        self.assert_friendly_404(self.get_tag("草稿专用"))

    def test_tag_used_only_by_scheduled_notes_gives_404(self) -> None:
        self.assert_friendly_404(self.get_tag("未来"))
