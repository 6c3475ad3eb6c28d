"""The home page's list as a reader meets it: pages, items, cards, deep pages."""

from __future__ import annotations

from unittest import mock

from django.conf import settings
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import escape

from notes.views import NoteListView
from tests.factories import draft_and_scheduled, make_category, make_note, make_notes
from tests.views.helpers import (
    PER_PAGE,
    FriendlyNotFoundMixin,
    alternate_feeds,
    collect,
    content_of,
    labelled_hrefs,
    listed_titles,
    note_item,
    rel_hrefs,
)

# --- The home page ------------------------------------------------------------------


class NoteListPageTests(FriendlyNotFoundMixin, TestCase):
    """45 published notes make three pages: 20, 20 and 5."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.category = make_category("生成模型 Generative", description="扩散模型与生成对抗网络。")
        cls.notes = make_notes(2 * PER_PAGE + 5, category=cls.category)
        cls.newest = cls.notes[0]
        cls.newest.tags.add("注意力", "Transformer")
        cls.draft, cls.scheduled = draft_and_scheduled(cls.category)

    def test_first_page_lists_published_notes_newest_first(self) -> None:
        response = self.client.get(reverse("notes:list"))
        self.assertEqual(listed_titles(response), [n.title for n in self.notes[:PER_PAGE]])

    def test_pages_hold_twenty_notes_and_the_rest_on_the_last_page(self) -> None:
        second = self.client.get(reverse("notes:list"), {"page": 2})
        last = self.client.get(reverse("notes:list"), {"page": 3})
        self.assertEqual(listed_titles(second), [n.title for n in self.notes[PER_PAGE:40]])
        self.assertEqual(listed_titles(last), [n.title for n in self.notes[40:]])

    def test_item_shows_title_link_excerpt_category_tags_and_date(self) -> None:
        response = self.client.get(reverse("notes:list"))
        item = note_item(response, self.newest)
        anchors = {a["text"]: a for a in collect(item).anchors}
        self.assertEqual(anchors[self.newest.title]["href"], self.newest.get_absolute_url())
        self.assertIn(self.newest.excerpt, item)
        self.assertTrue(self.newest.excerpt)
        category_link = anchors[self.category.name]
        self.assertEqual(
            category_link["href"], reverse("notes:category", args=[self.category.slug])
        )
        self.assertEqual(category_link["class"], "category-label")
        for tag in self.newest.tags.all():
            self.assertEqual(anchors[f"#{tag.name}"]["href"], reverse("notes:tag", args=[tag.slug]))
        published = timezone.localtime(self.newest.published_at)
        self.assertInHTML(
            f'<time datetime="{published.isoformat()}">{date_format(published)}</time>', item
        )

    def test_drafts_and_scheduled_notes_are_never_listed(self) -> None:
        pages = [self.client.get(reverse("notes:list"), {"page": n}) for n in (1, 2, 3)]
        for response in pages:
            self.assertNotContains(response, self.draft.title)
            self.assertNotContains(response, self.scheduled.title)

    def test_first_page_links_to_next_and_last_but_not_back(self) -> None:
        response = self.client.get(reverse("notes:list"))
        self.assertEqual(rel_hrefs(response, "next"), ["?page=2"])
        self.assertEqual(labelled_hrefs(response, "末页"), ["?page=3"])
        self.assertEqual(rel_hrefs(response, "prev"), [])
        self.assertEqual(labelled_hrefs(response, "首页"), [])

    def test_middle_page_links_to_first_previous_next_and_last(self) -> None:
        response = self.client.get(reverse("notes:list"), {"page": 2})
        self.assertEqual(labelled_hrefs(response, "首页"), ["?page=1"])
        self.assertEqual(rel_hrefs(response, "prev"), ["?page=1"])
        self.assertEqual(rel_hrefs(response, "next"), ["?page=3"])
        self.assertEqual(labelled_hrefs(response, "末页"), ["?page=3"])
        self.assertInHTML('<span aria-current="page">2</span>', content_of(response))

    def test_last_page_links_back_but_not_forward(self) -> None:
        response = self.client.get(reverse("notes:list"), {"page": 3})
        self.assertEqual(labelled_hrefs(response, "首页"), ["?page=1"])
        self.assertEqual(rel_hrefs(response, "prev"), ["?page=2"])
        self.assertEqual(rel_hrefs(response, "next"), [])
        self.assertEqual(labelled_hrefs(response, "末页"), [])

    def test_head_advertises_the_site_feeds(self) -> None:
        response = self.client.get(reverse("notes:list"))
        self.assertEqual(
            alternate_feeds(response),
            {
                "application/rss+xml": reverse("notes:feed"),
                "application/atom+xml": reverse("notes:feed-atom"),
            },
        )

    def test_bad_page_numbers_give_the_friendly_404(self) -> None:
        """Crawlers and hand-edited URLs send all of these; none may be a 500 or a page."""
        bad_pages = ["abc", "0", "-1", "4", "99999999999999999999999", "1.5", "\x00", "", "last"]
        for page in bad_pages:
            with self.subTest(page=page):
                self.assert_friendly_404(self.client.get(reverse("notes:list"), {"page": page}))

    def test_404_page_advertises_the_site_feeds(self) -> None:
        response = self.client.get(reverse("notes:list"), {"page": 99})
        self.assertEqual(response.status_code, 404)
        self.assertEqual(
            alternate_feeds(response),
            {
                "application/rss+xml": reverse("notes:feed"),
                "application/atom+xml": reverse("notes:feed-atom"),
            },
        )

    def test_percent_encoded_nul_page_gives_the_friendly_404(self) -> None:
        self.assert_friendly_404(self.client.get(reverse("notes:list") + "?page=%00"))


class ListCardTests(TestCase):
    """A note's card is drawn from its own fields, its category, its first paper and its
    tags: the same markup on every list that shows it, in each language."""

    @classmethod
    def setUpTestData(cls) -> None:
        from notes.models import Series

        cls.category = make_category("大模型 LLM")
        series = Series.objects.create(title="卡片系列", slug="card-series")
        cls.note = make_note(
            "低秩适配：LoRA <精读>",
            category=cls.category,
            tags=["微调", "LoRA"],
            body="低秩适配在冻结的权重旁训练两个小矩阵 & 合并回去。",
            series=series,
            series_position=1,
        )
        cls.note.papers.create(title="LoRA: Low-Rank Adaptation", venue="ICLR", year=2022)
        cls.note.papers.create(title="A second paper", venue="NeurIPS", year=2023)
        cls.note.save()
        cls.note.refresh_from_db()

    def expected(self, tags_label: str) -> str:
        """The card as the stored cards of the past wrote it, made from the note's fields."""
        note = self.note
        published = timezone.localtime(note.published_at)
        tags = "".join(
            f'<li><a class="tag" href="{reverse("notes:tag", args=[slug])}">#{name}</a></li>'
            for name, slug in sorted([("LoRA", "lora"), ("微调", "微调")])
        )
        return (
            f'<article class="note-item"><h2 class="note-item-title" lang="{note.lang}">'
            f'<a href="{note.get_absolute_url()}">低秩适配：LoRA &lt;精读&gt;</a></h2>'
            f'<p class="note-meta"><a class="category-label" '
            f'href="{self.category.get_absolute_url()}">大模型 LLM</a>'
            f'<span class="paper-venue" title="LoRA: Low-Rank Adaptation">ICLR 2022</span>'
            f'<time datetime="{published.isoformat()}">{date_format(published)}</time></p>'
            f'<p class="note-excerpt" lang="{note.lang}">{escape(note.excerpt)}</p>'
            f'<ul class="tag-list" aria-label="{tags_label}">{tags}</ul></article>'
        )

    def test_a_card_is_the_same_on_every_list(self) -> None:
        self.assertEqual(self.note.lang, "zh-Hans")
        self.assertTrue(self.note.excerpt)
        published = timezone.localtime(self.note.published_at)
        year, month = published.year, published.month
        for language, tags_label in ((settings.LANGUAGE_CODE, "标签"), ("en", "Tags")):
            with translation.override(language):
                expected = self.expected(tags_label)
                lists = [
                    reverse("notes:list"), self.category.get_absolute_url(),
                    reverse("notes:tag", args=["微调"]), reverse("notes:year", args=[year]),
                    reverse("notes:month", args=[year, month]),
                    reverse("notes:series-detail", args=["card-series"]),
                ]  # fmt: skip
            cards = set()
            for path in lists:
                with self.subTest(path=path), translation.override(language):
                    card = note_item(self.client.get(path), self.note)
                    self.assertHTMLEqual(card, expected)
                    cards.add(card)
            self.assertEqual(len(cards), 1, "the same bytes on every list")


class DeepPageTests(TestCase):
    """Pages past the middle of a list are read from its oldest note (the index backwards):
    the same notes, in the same order, as counting from the newest. Two notes a page here,
    so seven notes make four pages: page 2 is counted from the newest, 3 and 4 from the
    oldest."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.category = make_category("Deep")
        cls.notes = make_notes(7, category=cls.category, tags=["深度"], prefix="Deep")
        draft_and_scheduled(cls.category, tags=["深度"])

    def setUp(self) -> None:
        patcher = mock.patch.object(NoteListView, "paginate_by", 2)
        patcher.start()
        self.addCleanup(patcher.stop)

    def pages_of(self, url: str) -> list[list[str]]:
        return [listed_titles(self.client.get(url, {"page": n})) for n in range(1, 5)]

    def test_every_page_of_the_list_holds_its_notes_newest_first(self) -> None:
        titles = [note.title for note in self.notes]
        expected = [titles[i : i + 2] for i in range(0, 7, 2)]
        self.assertEqual(self.pages_of(reverse("notes:list")), expected)

    def test_every_page_of_a_tag_holds_its_notes_newest_first(self) -> None:
        """Its draft and scheduled notes are not counted: the last page starts at the oldest
        published note."""
        titles = [note.title for note in self.notes]
        expected = [titles[i : i + 2] for i in range(0, 7, 2)]
        self.assertEqual(self.pages_of(reverse("notes:tag", args=["深度"])), expected)

    def test_last_page_skips_no_notes(self) -> None:
        """However long the list, the last page reads only its own notes."""
        self.client.get(reverse("notes:list"), {"page": 4})
        with CaptureQueriesContext(connection) as queries:
            self.client.get(reverse("notes:list"), {"page": 4})
        self.assertFalse([q["sql"] for q in queries if "OFFSET" in q["sql"].upper()])

    def test_a_later_page_reads_its_notes_by_key(self) -> None:
        """Page 2 and on look their twenty notes up by id: the list's filters are applied
        once, where the ids are chosen, so the database never walks the whole list to test
        each note against the ids (SQLite does, when the filters are repeated around them)."""
        self.client.get(reverse("notes:list"), {"page": 2})
        with CaptureQueriesContext(connection) as queries:
            self.client.get(reverse("notes:list"), {"page": 2})
        (listing,) = [q["sql"] for q in queries if "IN (SELECT" in q["sql"]]
        outer = listing.split("IN (SELECT", 1)[0]
        self.assertNotIn("status", outer)
        self.assertNotIn('published_at" <=', outer)
