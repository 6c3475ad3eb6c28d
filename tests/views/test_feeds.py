"""The RSS and Atom feeds as a feed reader parses them (with feedparser)."""

from __future__ import annotations

import calendar
import re
import time
from datetime import UTC, datetime, timedelta

import feedparser
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notes import derive
from notes.models import Note, Series
from tests.factories import (
    RICH_BODY,
    draft_and_scheduled,
    make_category,
    make_note,
    make_notes,
    settle,
)

CHINESE_TAG = "微调"


def parse(response) -> feedparser.FeedParserDict:
    """The feed as served: feedparser neither resolves relative URLs nor sanitizes HTML."""
    return feedparser.parse(response.content, resolve_relative_uris=False, sanitize_html=False)


def entry_content(entry) -> dict:
    """The full-content element of an entry (content:encoded in RSS, <content> in Atom)."""
    assert len(entry.content) == 1, f"expected one content element, got {len(entry.content)}"
    return entry.content[0]


class FeedTests(TestCase):
    """25 notes in one category, all tagged 微调, plus two older notes elsewhere."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.author = get_user_model().objects.create_user("ann", first_name="Ann", last_name="Lee")
        cls.category = make_category("大模型 LLM", description="大语言模型论文。")
        cls.other_category = make_category("强化学习 RL")
        cls.notes = make_notes(25, category=cls.category, tags=[CHINESE_TAG], prefix="LLM")
        # The newest note carries the rich body, an author and a second tag.
        cls.rich = cls.notes[0]
        cls.rich.body = RICH_BODY
        cls.rich.author = cls.author
        cls.rich.save()
        cls.rich.tags.add("PEFT")
        cls.older = make_notes(
            2,
            category=cls.other_category,
            tags=["其他"],
            newest=cls.notes[-1].published_at - timedelta(days=1),
            prefix="RL",
        )
        cls.hidden = draft_and_scheduled(cls.category, tags=[CHINESE_TAG])
        make_note("Draft only", category=cls.category, tags=["草稿专用"], status=Note.Status.DRAFT)

    @classmethod
    def feed_urls(cls) -> dict[str, str]:
        category, tag = cls.category.slug, CHINESE_TAG
        return {
            "site rss": reverse("notes:feed"),
            "site atom": reverse("notes:feed-atom"),
            "category rss": reverse("notes:category-feed", args=[category]),
            "category atom": reverse("notes:category-feed-atom", args=[category]),
            "tag rss": reverse("notes:tag-feed", args=[tag]),
            "tag atom": reverse("notes:tag-feed-atom", args=[tag]),
        }

    def get_feed(self, url: str) -> feedparser.FeedParserDict:
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        return parse(response)

    def entry_for(self, feed, note: Note) -> feedparser.FeedParserDict:
        url = "http://testserver" + note.get_absolute_url()
        matching = [entry for entry in feed.entries if entry.link == url]
        self.assertEqual(len(matching), 1)
        return matching[0]

    def rich_entry(self, feed) -> feedparser.FeedParserDict:
        return self.entry_for(feed, self.rich)

    def test_every_feed_parses_without_errors(self) -> None:
        for name, url in self.feed_urls().items():
            with self.subTest(feed=name):
                feed = self.get_feed(url)
                self.assertEqual(feed.bozo, 0, feed.get("bozo_exception"))

    def test_feeds_are_served_as_rss_and_atom(self) -> None:
        for name, url in self.feed_urls().items():
            with self.subTest(feed=name):
                expected = "application/atom+xml" if "atom" in name else "application/rss+xml"
                self.assertTrue(self.client.get(url)["Content-Type"].startswith(expected))

    def test_every_feed_holds_the_twenty_newest_public_notes_newest_first(self) -> None:
        """All 25 notes are in the category and the tag, and newer than the other two."""
        expected = [n.title for n in self.notes[: settings.FEED_ITEMS]]
        for name, url in self.feed_urls().items():
            with self.subTest(feed=name):
                feed = self.get_feed(url)
                self.assertEqual([entry.title for entry in feed.entries], expected)

    def test_other_category_feed_holds_only_its_notes(self) -> None:
        url = reverse("notes:category-feed", args=[self.other_category.slug])
        feed = parse(self.client.get(url))
        self.assertEqual([entry.title for entry in feed.entries], [n.title for n in self.older])

    def test_drafts_and_scheduled_notes_are_in_no_feed(self) -> None:
        hidden_titles = {note.title for note in self.hidden}
        for name, url in self.feed_urls().items():
            with self.subTest(feed=name):
                feed = self.get_feed(url)
                self.assertFalse(hidden_titles & {entry.title for entry in feed.entries})

    def test_entries_carry_the_full_rendered_body_as_html(self) -> None:
        """Not just the excerpt: the highlighted code block and the table are there."""
        for name, url in self.feed_urls().items():
            with self.subTest(feed=name):
                feed = self.get_feed(url)
                content = entry_content(self.rich_entry(feed))
                self.assertEqual(content.type, "text/html")
                self.assertIn('<span class="nf">attention</span>', content.value)
                self.assertIn("<th>Model</th>", content.value)
                self.assertIn("<td>GPT-2</td>", content.value)

    def test_atom_content_element_declares_html(self) -> None:
        response = self.client.get(reverse("notes:feed-atom"))
        self.assertContains(response, '<content type="html">')

    def test_rss_uses_content_encoded(self) -> None:
        response = self.client.get(reverse("notes:feed"))
        self.assertContains(response, "<content:encoded>")
        self.assertContains(response, 'xmlns:content="http://purl.org/rss/1.0/modules/content/"')

    def test_links_and_images_in_content_are_absolute(self) -> None:
        """Feed readers have no page to resolve "/media/..." against."""
        for name, url in self.feed_urls().items():
            with self.subTest(feed=name):
                feed = self.get_feed(url)
                value = entry_content(self.rich_entry(feed)).value
                self.assertIn('href="http://testserver/notes/previous-note/"', value)
                self.assertIn('src="http://testserver/media/figures/attention.png"', value)
                self.assertNotIn('="/', value)

    def test_external_links_in_content_are_unchanged(self) -> None:
        for name, url in self.feed_urls().items():
            with self.subTest(feed=name):
                feed = self.get_feed(url)
                value = entry_content(self.rich_entry(feed)).value
                self.assertIn('href="https://arxiv.org/abs/1706.03762"', value)

    def test_entry_has_title_and_author(self) -> None:
        for name, url in self.feed_urls().items():
            with self.subTest(feed=name):
                feed = self.get_feed(url)
                entry = self.rich_entry(feed)
                self.assertEqual(entry.title, self.rich.title)
                self.assertEqual(entry.author, "Ann Lee")

    def test_entry_without_author_names_the_site(self) -> None:
        for name, url in self.feed_urls().items():
            with self.subTest(feed=name):
                feed = self.get_feed(url)
                self.assertEqual(self.entry_for(feed, self.notes[1]).author, settings.SITE_NAME)

    def test_entry_categories_are_the_category_and_tags(self) -> None:
        for name, url in self.feed_urls().items():
            with self.subTest(feed=name):
                feed = self.get_feed(url)
                terms = [tag.term for tag in self.rich_entry(feed).tags]
                self.assertEqual(terms[0], self.category.name)
                self.assertEqual(sorted(terms[1:]), sorted(["PEFT", CHINESE_TAG]))

    def test_entry_published_date_is_the_publish_date(self) -> None:
        expected = self.rich.published_at.astimezone(UTC).replace(microsecond=0)
        for name, url in self.feed_urls().items():
            with self.subTest(feed=name):
                feed = self.get_feed(url)
                parsed = self.rich_entry(feed).published_parsed
                published = datetime.fromtimestamp(calendar.timegm(parsed), UTC)
                self.assertEqual(published, expected)

    def test_unknown_category_or_tag_feed_is_404(self) -> None:
        for name in ("category-feed", "category-feed-atom", "tag-feed", "tag-feed-atom"):
            with self.subTest(feed=name):
                response = self.client.get(reverse(f"notes:{name}", args=["no-such-slug"]))
                self.assertEqual(response.status_code, 404)

    def test_feed_of_a_tag_used_only_by_drafts_is_404(self) -> None:
        for name in ("tag-feed", "tag-feed-atom"):
            with self.subTest(feed=name):
                response = self.client.get(reverse(f"notes:{name}", args=["草稿专用"]))
                self.assertEqual(response.status_code, 404)


class ScheduledNoteFeedTests(TestCase):
    """A scheduled note enters the feeds when its time comes, by the clock alone: nothing is
    written when it goes live, and a tag only it carries gets its feed then."""

    def test_a_tag_of_a_scheduled_note_has_a_feed_once_it_is_live(self) -> None:
        live_at = timezone.now() + timedelta(seconds=1)
        note = make_note("定时发布", tags=["定时标签"], published_at=live_at)
        urls = [
            reverse(name, args=["定时标签"]) for name in ("notes:tag-feed", "notes:tag-feed-atom")
        ]
        for url in urls:
            self.assertEqual(self.client.get(url).status_code, 404)
        time.sleep(max(0.0, (live_at - timezone.now()).total_seconds()) + 0.05)
        for url in [*urls, reverse("notes:feed")]:
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                self.assertEqual([entry.title for entry in parse(response).entries], [note.title])


class FeedQueryCountTests(TestCase):
    """A feed runs a fixed number of queries for 3 notes or 25, each with several tags and an
    author."""

    SITE_QUERIES = 2  # the site state, the notes (with category and author)
    CATEGORY_QUERIES = 3  # the category, then as the site feed
    TAG_QUERIES = 3  # the tag with its count of public notes, then as the site feed
    SERIES_QUERIES = 3  # the series, then as the site feed (no published part: a 404)
    SEARCH_QUERIES = 3  # the site state, the matching ids, the notes by id

    @classmethod
    def setUpTestData(cls) -> None:
        cls.category = make_category("大模型 LLM")
        cls.series = Series.objects.create(title="长系列", slug="long-series")
        cls.notes = make_notes(
            25,
            category=cls.category,
            tags=[CHINESE_TAG, "PEFT", "LoRA"],
            prefix="Feed",
            series=cls.series,
            author=get_user_model().objects.create_user("bo", first_name="Bo"),
        )
        cls.kept = cls.notes[5:8]

    def assert_constant_queries(self, url: str, expected: int) -> None:
        settle()
        with CaptureQueriesContext(connection) as with_many:
            many = parse(self.client.get(url))
        self.assertEqual(len(many.entries), settings.FEED_ITEMS)
        Note.objects.exclude(pk__in=[n.pk for n in self.kept]).update(status=Note.Status.DRAFT)
        derive.changed()  # a queryset update skips the save signals that say so
        settle()
        with CaptureQueriesContext(connection) as with_few:
            few = parse(self.client.get(url))
        self.assertEqual(len(few.entries), len(self.kept))
        self.assertEqual(len(with_many), len(with_few))
        self.assertEqual(len(with_few), expected)

    def test_site_feed(self) -> None:
        self.assert_constant_queries(reverse("notes:feed"), self.SITE_QUERIES)

    def test_category_feed(self) -> None:
        url = reverse("notes:category-feed-atom", args=[self.category.slug])
        self.assert_constant_queries(url, self.CATEGORY_QUERIES)

    def test_tag_feed(self) -> None:
        url = reverse("notes:tag-feed", args=[CHINESE_TAG])
        self.assert_constant_queries(url, self.TAG_QUERIES)

    def test_series_feed(self) -> None:
        url = reverse("notes:series-feed-atom", args=[self.series.slug])
        self.assert_constant_queries(url, self.SERIES_QUERIES)

    def test_search_feed(self) -> None:
        url = reverse("notes:search-feed") + "?q=Feed"
        self.assert_constant_queries(url, self.SEARCH_QUERIES)


class FeedLanguageAndMathTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.english = make_note("English note", body="An English note about adapters.")
        cls.math = make_note("Matrix", body=r"$$\begin{array}{c|c} a & b \end{array}$$")

    def test_atom_entries_carry_their_own_language(self) -> None:
        xml = self.client.get(reverse("notes:feed-atom")).content.decode()
        entries = dict(re.findall(r"<entry([^>]*)><title>([^<]*)</title>", xml))
        languages = {title: attributes for attributes, title in entries.items()}
        self.assertIn('xml:lang="en"', languages["English note"])
        self.assertIn('xml:lang="zh-Hans"', languages["Matrix"])

    def test_feed_math_keeps_its_rules_as_inline_styles(self) -> None:
        """A feed reader has no math.css: the array's column rule must travel with the item."""
        xml = self.client.get(reverse("notes:feed")).content.decode()
        self.assertIn("border-right:0.06em solid", xml)


@override_settings(SITE_URL="https://notes.example.org")
class FeedAddressTests(TestCase):
    """Every address in a feed comes from DJANGO_SITE_URL, never from the Host header: the
    same note fetched by another allowed host name must not look like a new item."""

    @classmethod
    def setUpTestData(cls) -> None:
        category = make_category("大模型 LLM")
        cls.linked = make_note("Linked note", slug="linked", category=category)
        cls.note = make_note(
            "LoRA：大模型的低秩适配",
            category=category,
            tags=[CHINESE_TAG],
            body="See [[linked]].\n\n![结构图](/media/figures/lora.png)",
        )
        cls.urls = [
            reverse("notes:feed"),
            reverse("notes:feed-atom"),
            reverse("notes:category-feed", args=[category.slug]),
            reverse("notes:tag-feed-atom", args=[CHINESE_TAG]),
        ]

    def test_item_ids_are_the_same_whatever_the_host_header(self) -> None:
        for url in self.urls:
            with self.subTest(url):
                ids = [entry.id for entry in parse(self.client.get(url)).entries]
                other = parse(self.client.get(url, HTTP_HOST="localhost")).entries
                self.assertTrue(ids)
                self.assertEqual([entry.id for entry in other], ids)

    def test_the_whole_feed_is_byte_identical_whatever_the_host_header(self) -> None:
        for url in self.urls:
            with self.subTest(url):
                self.assertEqual(
                    self.client.get(url, HTTP_HOST="localhost").content,
                    self.client.get(url).content,
                )

    def test_links_ids_and_self_links_are_on_the_site_url(self) -> None:
        for url in self.urls:
            with self.subTest(url):
                response = self.client.get(url, HTTP_HOST="localhost")
                feed = parse(response)
                self.assertEqual(feed.feed.link, "https://notes.example.org" + url.split("feed")[0])
                self.assertIn(
                    "https://notes.example.org" + url, [link.href for link in feed.feed.links]
                )
                entry = next(e for e in feed.entries if e.title == self.note.title)
                expected = "https://notes.example.org" + self.note.get_absolute_url()
                self.assertEqual((entry.link, entry.id), (expected, expected))
                self.assertNotIn(b"localhost", response.content)
                self.assertNotIn(b"testserver", response.content)

    def test_images_and_links_in_the_content_are_on_the_site_url(self) -> None:
        response = self.client.get(reverse("notes:feed"), HTTP_HOST="localhost")
        content = entry_content(parse(response).entries[0]).value
        self.assertIn('src="https://notes.example.org/media/figures/lora.png"', content)
        self.assertIn('href="https://notes.example.org/notes/linked/"', content)


class FeedPlainTextTests(TestCase):
    """What an editor types as plain text reaches feed readers as text, whatever it holds."""

    @classmethod
    def setUpTestData(cls) -> None:
        category = make_category("Ctl\x0bcategory", description="Form\x0cfeed")
        cls.note = make_note(
            "Pasted from a PDF\x0c\x08 title",
            category=category,
            tags=["tag\x01"],
            summary="<script>alert(1)</script> & a < b",
        )

    def test_a_summary_is_text_to_a_feed_reader_not_markup(self) -> None:
        """RSS descriptions and Atom summaries are HTML to a feed reader: a summary went there
        verbatim, so a "<script>" typed in it was markup to every feed reader."""
        for url in (reverse("notes:feed"), reverse("notes:feed-atom")):
            with self.subTest(url=url):
                entry = parse(self.client.get(url)).entries[0]
                self.assertEqual(
                    entry.summary, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; a &lt; b"
                )

    def test_control_characters_in_names_do_not_break_the_feeds(self) -> None:
        """XML cannot carry them: Django's generator refused the whole feed (and the save)."""
        category_url = self.note.category.get_absolute_url()
        for url in (reverse("notes:feed"), f"{category_url}feed/", f"{category_url}feed/atom/"):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                feed = parse(response)
                self.assertFalse(feed.bozo, feed.get("bozo_exception"))
                self.assertEqual(feed.entries[0].title, "Pasted from a PDF title")
