"""The public pages as a reader meets them: lists, a note, categories, tags, errors, preview."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from unittest import mock
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.template.loader import render_to_string
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import escape

from notes.delivery import state
from notes.models import Note
from notes.views import NoteListView
from tests.factories import RICH_BODY, draft_and_scheduled, make_category, make_note, make_notes

PER_PAGE = settings.NOTES_PER_PAGE


# --- Reading the HTML ---------------------------------------------------------------


class _ElementCollector(HTMLParser):
    """Collects every <a> (attributes and text) and every <link> in a piece of HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[dict[str, str]] = []
        self.links: list[dict[str, str]] = []
        self._open_anchor: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "a":
            self._open_anchor = {**attributes, "text": ""}
            self.anchors.append(self._open_anchor)
        elif tag == "link":
            self.links.append(attributes)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._open_anchor = None

    def handle_data(self, data: str) -> None:
        if self._open_anchor is not None:
            self._open_anchor["text"] += data


def collect(html: str) -> _ElementCollector:
    collector = _ElementCollector()
    collector.feed(html)
    collector.close()
    return collector


def content_of(response) -> str:
    return response.content.decode()


def head_of(response) -> str:
    match = re.search(r"<head>(.*?)</head>", content_of(response), re.DOTALL)
    assert match, "the page has no <head>"
    return match.group(1)


def alternate_feeds(response) -> dict[str, str]:
    """{type: href} of the <link rel="alternate"> feed links in <head>."""
    return {
        link["type"]: link["href"]
        for link in collect(head_of(response)).links
        if link.get("rel") == "alternate" and "type" in link  # not the hreflang alternates
    }


def listed_titles(response) -> list[str]:
    """Titles of the note items on a list page, in page order."""
    return re.findall(
        r'<h2 class="note-item-title"[^>]*><a href="[^"]*">([^<]*)</a></h2>', content_of(response)
    )


def note_item(response, note: Note) -> str:
    """The HTML of the list item showing ``note``."""
    items = re.findall(r'<article class="note-item">.*?</article>', content_of(response), re.DOTALL)
    matching = [item for item in items if f'href="{note.get_absolute_url()}"' in item]
    assert len(matching) == 1, f"expected one list item for {note.title!r}, found {len(matching)}"
    return matching[0]


def pagination_anchors(response) -> list[dict[str, str]]:
    match = re.search(r'<nav class="pagination".*?</nav>', content_of(response), re.DOTALL)
    assert match, "the page has no pagination"
    return collect(match.group(0)).anchors


def rel_hrefs(response, rel: str) -> list[str]:
    return [a["href"] for a in pagination_anchors(response) if a.get("rel") == rel]


def labelled_hrefs(response, label: str) -> list[str]:
    """Links by their visible text: no aria-label, so screen readers say what readers see."""
    return [a["href"] for a in pagination_anchors(response) if label in a["text"]]


class FriendlyNotFoundMixin:
    def assert_friendly_404(self, response) -> None:
        """The site's own 404 page: its design (header, navigation) and a way back home."""
        self.assertEqual(response.status_code, 404)
        self.assertTemplateUsed(response, "404.html")
        html = content_of(response)
        self.assertIn('<header class="site-header"', html)
        self.assertIn('<nav class="site-nav"', html)
        home = reverse("notes:list")
        back = [a["href"] for a in collect(html).anchors if "返回最新更新" in a["text"]]
        self.assertIn(home, back)


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


# --- Server errors ------------------------------------------------------------------


class ServerErrorPageTests(TestCase):
    def test_500_page_renders_without_a_request_or_database(self) -> None:
        """Django renders 500.html with no context processors; it must not need them."""
        with self.assertNumQueries(0):
            html = render_to_string("500.html")
        self.assertIn("Something went wrong", html)
        self.assertIn('<a href="/">', html)


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


# --- Query counts -------------------------------------------------------------------


class QueryCountTests(TestCase):
    """Each page runs a fixed number of queries, however many notes and tags it shows.

    Every page is measured with 45 notes of 4 tags each, then with only 3 of them left
    published. The exact numbers are pinned too, so any added query shows up here.
    """

    # The site state (version, navigation, counts: notes.delivery.state), then the page's own: its
    # notes with their category.
    LIST_QUERIES = 2
    CATEGORY_QUERIES = 3  # the category, then as the list
    TAG_QUERIES = 4  # the tag with its count, its aliases, then as the list
    # the note with its category, author and series; every note around it (backlinks, same
    # paper, series, related, previous and next) in one query
    DETAIL_QUERIES = 3

    @classmethod
    def setUpTestData(cls) -> None:
        cls.category = make_category("大模型 LLM")
        cls.notes = make_notes(
            45, category=cls.category, tags=["大模型", "微调", "PEFT", "LoRA"], prefix="Query"
        )
        cls.kept = cls.notes[10:13]
        cls.tag = cls.notes[0].tags.get(name="微调")

    def assert_constant_queries(self, url: str, expected: int, *, lists_notes: bool) -> None:
        """Measured on a second request, as a running server serves a page: the first may fill
        what a process keeps (content types, the shared page parts)."""
        self.client.get(url)
        with CaptureQueriesContext(connection) as with_many:
            response = self.client.get(url)
        if lists_notes:
            self.assertEqual(len(listed_titles(response)), PER_PAGE)
        Note.objects.exclude(pk__in=[n.pk for n in self.kept]).update(status=Note.Status.DRAFT)
        state.changed()  # a queryset update skips the save signals that say so
        self.client.get(url)
        with CaptureQueriesContext(connection) as with_few:
            response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        if lists_notes:
            self.assertEqual(len(listed_titles(response)), len(self.kept))
        self.assertEqual(len(with_many), len(with_few))
        self.assertEqual(len(with_few), expected)

    def test_list_page(self) -> None:
        self.assert_constant_queries(reverse("notes:list"), self.LIST_QUERIES, lists_notes=True)

    def test_category_page(self) -> None:
        self.assert_constant_queries(
            self.category.get_absolute_url(), self.CATEGORY_QUERIES, lists_notes=True
        )

    def test_tag_page(self) -> None:
        self.assert_constant_queries(
            reverse("notes:tag", args=[self.tag.slug]), self.TAG_QUERIES, lists_notes=True
        )

    def test_detail_page(self) -> None:
        """The detail page shows one note, but its neighbours come from all the others."""
        self.assert_constant_queries(
            self.kept[1].get_absolute_url(), self.DETAIL_QUERIES, lists_notes=False
        )


class PageWeightTests(TestCase):
    def test_a_note_pages_own_css_and_javascript_stay_under_100_kb(self) -> None:
        """Fonts aside: the stylesheets and scripts a note with math and code loads."""
        from django.contrib.staticfiles import finders

        note = make_note("Weighed", body="Energy $E=mc^2$.\n\n```python\nx = 1\n```")
        html = self.client.get(note.get_absolute_url()).content.decode()
        assets = re.findall(r'(?:href|src)="/static/([^"]+\.(?:css|js))"', html)
        self.assertGreaterEqual(len(assets), 5)  # site, pygments, math CSS; two scripts
        # Hashed names (site.1a2b3c.css) come from the same source files.
        sizes = {
            name: Path(finders.find(re.sub(r"\.[0-9a-f]{12}\.", ".", name))).stat().st_size
            for name in assets
        }
        self.assertLess(sum(sizes.values()), 100_000, sizes)


class ReadersOnlyReadTests(TestCase):
    """No public request writes to the database, so readers can be served from a read-only
    replica and a read never waits on an editor's write: every kind of public page and feed,
    in both languages, with writes refused."""

    @classmethod
    def setUpTestData(cls) -> None:
        from notes.models import Series

        category = make_category("只读")
        series = Series.objects.create(title="只读系列", slug="read-only-series")
        cls.note = make_note(
            "只读的笔记",
            category=category,
            tags=["只读"],
            body=RICH_BODY,
            series=series,
            series_position=1,
        )
        cls.note.papers.create(title="LoRA", arxiv="2106.09685", year=2022)
        make_note("另一篇", category=category, tags=["只读"], body="[[只读的笔记]]")
        # A scheduled note whose time comes while readers read: counted in without a write.
        make_note("定时", category=category, tags=["只读"], published_at=timezone.now())
        # Enough for a second page of every list.
        make_notes(PER_PAGE, category=category, tags=["只读"], prefix="只读")
        # A draft's preview, opened by a link an editor shared (notes.views.sharing).
        from notes.models import PreviewLink

        draft = make_note("只读草稿", category=category, status="draft", body="[[只读的笔记]]")
        cls.shared = PreviewLink.objects.create(
            note=draft, expires_at=timezone.now() + timedelta(days=1)
        ).get_absolute_url()

    def test_readers_only_read(self) -> None:
        paper = self.note.papers.get()
        published = timezone.localtime(self.note.published_at)
        paths = [
            "/", "/?page=1", "/?page=2", "/category/", "/category/只读/", "/category/只读/?page=2",
            "/tag/", "/tag/只读/", "/tag/只读/?page=2", "/archive/", f"/archive/{published.year}/",
            f"/archive/{published.year}/{published.month:02d}/", "/series/",
            "/series/read-only-series/", self.note.get_absolute_url(),
            f"/papers/{paper.ident}/", f"/papers/{paper.ident}/cite.bib", "/papers/",
            "/search/?q=只读",
            "/search/?q=只读&page=2", "/feed/", "/feed/atom/", "/category/只读/feed/",
            "/tag/只读/feed/", "/series/read-only-series/feed/", "/search/feed/?q=只读",
            "/sitemap.xml", "/sitemap-notes.xml", "/sitemap-papers.xml", "/robots.txt",
            "/opensearch.xml", "/notes/no-such-note/", "/updates/", self.shared, "/favicon.ico",
        ]  # fmt: skip
        paths += ["/en" + path for path in paths if not path.startswith(("/sitemap", "/robots"))]

        def refuse_writes(execute, sql, params, many, context):
            if sql.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE", "REPLACE"):
                raise AssertionError(f"a reader's request wrote: {sql[:200]}")
            return execute(sql, params, many, context)

        with connection.execute_wrapper(refuse_writes):
            for path in paths:
                with self.subTest(path=path):
                    response = self.client.get(path)
                    self.assertIn(response.status_code, (200, 404), path)
                    if path.endswith("no-such-note/"):
                        self.assertEqual(response.status_code, 404)
                    else:
                        self.assertEqual(response.status_code, 200)
