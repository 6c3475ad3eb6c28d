"""The feeds' XML (notes.feedxml): the helpers that make a note fit to carry, the generators
with the full note, and each item as the feeds write it, from what the note holds now."""

from __future__ import annotations

from datetime import UTC, timedelta
from unittest import mock
from xml.dom import minidom

from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import SimpleTestCase, TestCase, override_settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import iri_to_uri
from django.utils.feedgenerator import rfc3339_date
from django.utils.html import escape

from notes import feedxml
from notes.models import Note
from notes.rendering.math.markup import inline_styles
from tests.factories import RICH_BODY, make_category, make_note

GENERATORS = {"rss": feedxml.ContentRssFeed, "atom": feedxml.ContentAtomFeed}


def written(kind: str, **item) -> minidom.Document:
    """A feed of one item as the generator writes it, parsed."""
    generator = GENERATORS[kind](title="t", link="https://x.example/", description="d")
    generator.add_item(
        title="a", link="https://x.example/a", description="s", unique_id="u", **item
    )
    return minidom.parseString(generator.writeString("utf-8"))


def expected_item(note: Note, kind: str) -> str:
    """The note's item as Django's generator writes it from the fields every release of the
    feeds has given it: ids and links on DJANGO_SITE_URL (an item's id must never change),
    dates in UTC, plain names and an escaped excerpt, the category then the tags, and the
    note's HTML with math's layout inline and links absolute."""
    link = iri_to_uri(settings.SITE_URL + note.get_absolute_url())
    author = note.author.get_full_name() if note.author else settings.SITE_NAME
    generator = GENERATORS[kind](title="", link="", description="")
    generator.add_item(
        title=feedxml.xml_text(note.title),
        link=link,
        description=escape(feedxml.xml_text(note.excerpt)),
        unique_id=link,
        pubdate=note.published_at.astimezone(UTC),
        # Updated only by a logged update (notes.models.NoteUpdate): this note has none.
        updateddate=note.published_at.astimezone(UTC),
        author_name=author,
        categories=[note.category.name, *(name for name, _slug in note.tag_data)],
        content=feedxml.feed_content(inline_styles(note.body_html)),
        lang=note.lang,
    )
    xml = generator.writeString("utf-8")
    tag = "<item>" if kind == "rss" else "<entry"
    start = xml.index(tag)
    return xml[start : xml.rindex("</channel>" if kind == "rss" else "</feed>")]


class HelperTests(SimpleTestCase):
    def test_root_relative_links_and_images_become_absolute(self) -> None:
        html = (
            '<a href="/notes/x/">x</a><img alt="" src="/media/a.png">'
            '<a href="//cdn.example/y">y</a><a href="https://e.example/z">z</a>'
            '<a href="#fn1">1</a><span data-x="/kept">/kept</span>'
        )
        self.assertEqual(
            feedxml.absolutize(html, "https://notes.example.org"),
            '<a href="https://notes.example.org/notes/x/">x</a>'
            '<img alt="" src="https://notes.example.org/media/a.png">'
            '<a href="//cdn.example/y">y</a><a href="https://e.example/z">z</a>'
            '<a href="#fn1">1</a><span data-x="/kept">/kept</span>',
        )

    def test_xml_text_drops_only_what_xml_cannot_carry(self) -> None:
        kept = "tab\tline\ncr\r 中文 “quotes” <&> \x7f"
        self.assertEqual(feedxml.xml_text("a\x00b\x08c\x0bd\x0ce\x1ff" + kept), "abcdef" + kept)

    @override_settings(SITE_URL="https://notes.example.org")
    def test_feed_content_is_absolute_on_the_site_url_and_carriable(self) -> None:
        self.assertEqual(
            feedxml.feed_content('<p>a\x0cb <img src="/media/a.png"></p>'),
            '<p>ab <img src="https://notes.example.org/media/a.png"></p>',
        )


class GeneratorTests(SimpleTestCase):
    def test_rss_carries_the_content_as_content_encoded_last(self) -> None:
        document = written("rss", content="<p>x & y</p>", lang="en")
        rss = document.documentElement
        self.assertEqual(
            rss.getAttribute("xmlns:content"), "http://purl.org/rss/1.0/modules/content/"
        )
        item = document.getElementsByTagName("item")[0]
        elements = [node for node in item.childNodes if node.nodeType == node.ELEMENT_NODE]
        self.assertEqual(elements[-1].tagName, "content:encoded")
        self.assertEqual(elements[-1].firstChild.data, "<p>x & y</p>")
        self.assertFalse(item.hasAttribute("xml:lang"))  # RSS has no per-item language

    def test_atom_carries_the_content_as_html_last_and_each_entrys_language(self) -> None:
        document = written("atom", content="<p>x & y</p>", lang="en")
        entry = document.getElementsByTagName("entry")[0]
        self.assertEqual(entry.getAttribute("xml:lang"), "en")
        elements = [node for node in entry.childNodes if node.nodeType == node.ELEMENT_NODE]
        self.assertEqual(elements[-1].tagName, "content")
        self.assertEqual(elements[-1].getAttribute("type"), "html")
        self.assertEqual(elements[-1].firstChild.data, "<p>x & y</p>")

    def test_no_content_no_element(self) -> None:
        for kind, name in (("rss", "content:encoded"), ("atom", "content")):
            with self.subTest(kind=kind):
                self.assertFalse(written(kind).getElementsByTagName(name))


@override_settings(SITE_URL="http://testserver")
class FeedItemTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.author = get_user_model().objects.create_user("lin", first_name="Lin", last_name="Wu")
        cls.category = make_category("生成模型 & <GAN>")
        cls.note = make_note(
            "扩散模型 <精读> & “引号”",
            category=cls.category,
            tags=["扩散", "A&B"],
            body=RICH_BODY
            + "\n\n[站内链接](/notes/other/) ![图](/media/figures/a.png)\n\n"
            + r"$$\begin{array}{c|c} a & b \end{array}$$",
            author=cls.author,
        )

    def setUp(self) -> None:
        self.note.refresh_from_db()

    def test_an_item_is_what_djangos_generator_writes_for_the_note(self) -> None:
        for language, prefix in (("zh-hans", ""), ("en", "/en")):
            for kind, path in (("rss", "/feed/"), ("atom", "/feed/atom/")):
                with self.subTest(language=language, kind=kind):
                    xml = self.client.get(prefix + path).content.decode()
                    with translation.override(language):
                        self.assertIn(expected_item(self.note, kind), xml)

    def test_an_items_html_is_made_once_per_body_and_again_after_a_deploy(self) -> None:
        """Kept with the cache by the body it is made from; a release that may write math's
        layout otherwise makes it again rather than serve the old one."""
        url = reverse("notes:feed")
        with mock.patch("notes.feeds.inline_styles", side_effect=inline_styles) as styled:
            first = self.client.get(url).content
            self.assertEqual(styled.call_count, 1)
            self.assertEqual(self.client.get(url).content, first)
            self.assertEqual(styled.call_count, 1)
            with mock.patch("notes.delivery.caching.release", return_value="next-release"):
                self.assertEqual(self.client.get(url).content, first)
            self.assertEqual(styled.call_count, 2)
            self.note.body += "\n\n改过。"
            self.note.save()
            self.assertIn("改过", self.client.get(url).content.decode())
            self.assertEqual(styled.call_count, 3)

    def test_another_site_address_is_used_at_once(self) -> None:
        with override_settings(SITE_URL="https://notes.example.org"):
            response = self.client.get(reverse("notes:feed-atom"))
        self.assertContains(response, "https://notes.example.org/notes/")
        self.assertContains(response, "https://notes.example.org/media/figures/a.png")
        self.assertNotContains(response, "http://testserver/")

    def test_an_author_rename_reaches_the_feed(self) -> None:
        self.author.first_name = "琳"
        self.author.save()
        response = self.client.get(reverse("notes:feed"))
        self.assertContains(response, "琳 Wu")

    def test_a_category_rename_reaches_the_feed(self) -> None:
        self.category.name = "改名的分类"
        self.category.save()
        response = self.client.get(reverse("notes:feed"))
        self.assertContains(response, "<category>改名的分类</category>")

    def test_a_title_of_any_text_is_in_the_feed(self) -> None:
        make_note("@@research-notes-item-content@@ ]]> <![CDATA[", category=self.category)
        response = self.client.get(reverse("notes:feed"))
        self.assertContains(
            response, "<title>@@research-notes-item-content@@ ]]&gt; &lt;![CDATA[</title>"
        )

    def test_the_feed_is_dated_by_its_newest_item(self) -> None:
        """Not by the time of the request: an unchanged feed stays byte for byte the same."""
        past = timezone.now() - timedelta(days=2)
        Note.objects.filter(pk=self.note.pk).update(updated_at=past, published_at=past)
        response = self.client.get(reverse("notes:feed-atom"))
        channel = response.content.decode().split("<entry", 1)[0]
        self.assertIn(f"<updated>{rfc3339_date(past)}</updated>", channel)
        self.assertEqual(self.client.get(reverse("notes:feed-atom")).content, response.content)

    def test_a_note_published_after_its_last_edit_is_updated_when_published(self) -> None:
        """Scheduled, then gone live: its entry's <updated> is not before its <published>."""
        edited, published = (timezone.now() - timedelta(days=days) for days in (3, 2))
        Note.objects.filter(pk=self.note.pk).update(updated_at=edited, published_at=published)
        xml = self.client.get(reverse("notes:feed-atom")).content.decode()
        self.assertIn(f"<updated>{rfc3339_date(published)}</updated>", xml)
        self.assertNotIn(rfc3339_date(edited), xml)
