"""Every kind of feed, in both languages, as feed readers and validators see it: feedparser
reads it without error, and it is valid RSS 2.0 / Atom (RFC 4287) by the grammars and rules
of tests/feedcheck.py, which stand in for the W3C Feed Validation Service offline.

Marked ``clients``: ``make check-clients`` runs these with the Nu checker and axe-core
(tests/views/test_accessibility.py), once, after ``make test``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

import feedparser
import pytest
from django.conf import settings
from django.test import TestCase
from django.urls import reverse
from django.utils.encoding import iri_to_uri
from taggit.models import Tag

from notes.importexport import import_paths
from notes.models import Category, Note, Series
from tests import feedcheck
from tests.factories import make_category, make_note

pytestmark = pytest.mark.clients

VNU_JAR = Path(settings.BASE_DIR) / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
DEMO = Path(settings.BASE_DIR) / "demo" / "notes"
LANGUAGES = ("", "/en")  # the default language has no prefix
SEARCHES = ("扩散", "attention")
CONTENT_TYPES = {"rss": "application/rss+xml", "atom": "application/atom+xml"}


class Fetched(NamedTuple):
    """A feed as fetched (plain values: test data is copied for each test)."""

    kind: str
    format: str
    language: str
    status: int
    content_type: str
    content: bytes


def require_vnu() -> None:
    if not VNU_JAR.exists() or not shutil.which("java"):
        pytest.fail("The feed grammars run in the Nu checker: run `make checker-deps`.")


def feed_paths() -> list[tuple[str, str, str]]:
    """(kind, format, path) of every feed the demo has, in the default language: the site's,
    every category's, tag's and series', and search feeds."""
    public = Note.objects.published()
    pages = [("site", "/"), ("updates", "/updates/")]
    pages += [
        ("category", category.get_absolute_url())
        for category in Category.objects.filter(notes__in=public).distinct().order_by("slug")
    ]
    pages += [
        ("tag", reverse("notes:tag", args=[tag.slug]))
        for tag in Tag.objects.filter(note__in=public).distinct().order_by("slug")
    ]
    pages += [
        ("series", series.get_absolute_url())
        for series in Series.objects.filter(notes__in=public).distinct().order_by("slug")
    ]
    paths = []
    for kind, page in pages:
        paths += [(kind, "rss", f"{page}feed/"), (kind, "atom", f"{page}feed/atom/")]
    for query in SEARCHES:
        search = reverse("notes:search-feed")
        paths.append(("search", "rss", f"{search}?q={quote(query)}"))
        paths.append(("search", "atom", f"{search}atom/?q={quote(query)}"))
    return paths


class EveryFeedTests(TestCase):
    """The demo's feeds, fetched once for the class."""

    maxDiff = None

    @classmethod
    def setUpTestData(cls) -> None:
        assert not import_paths([DEMO]).errors
        cls.responses = {}
        for language in LANGUAGES:
            for kind, format_, path in feed_paths():
                response = cls.client_class().get(language + path)
                cls.responses[language + path] = Fetched(
                    kind, format_, language, response.status_code, response["Content-Type"],
                    response.content,
                )  # fmt: skip

    def feeds(self, format_: str) -> dict[str, bytes]:
        """The address each feed says it is at (on DJANGO_SITE_URL), and its bytes."""
        return {
            settings.SITE_URL + iri_to_uri(path): fetched.content
            for path, fetched in self.responses.items()
            if fetched.format == format_
        }

    def test_every_kind_of_feed_is_served_in_both_languages(self) -> None:
        for path, fetched in self.responses.items():
            self.assertEqual(fetched.status, 200, path)
            self.assertTrue(fetched.content_type.startswith(CONTENT_TYPES[fetched.format]), path)
        served = {(feed.kind, feed.format, feed.language) for feed in self.responses.values()}
        self.assertEqual(
            served,
            {
                (kind, format_, language)
                for kind in ("site", "updates", "category", "tag", "series", "search")
                for format_ in ("rss", "atom")
                for language in LANGUAGES
            },
        )

    def test_feedparser_reads_every_feed_without_error(self) -> None:
        for path, fetched in self.responses.items():
            parsed = feedparser.parse(fetched.content)
            self.assertFalse(parsed.bozo, f"{path}: {parsed.get('bozo_exception')}")
            self.assertEqual(parsed.version, {"rss": "rss20", "atom": "atom10"}[fetched.format])
            self.assertTrue(parsed.entries, path)
            for entry in parsed.entries:
                self.assertTrue(entry.title and entry.link and entry.id, (path, entry.get("id")))
                self.assertTrue(entry.published_parsed and entry.content[0].value, entry.id)

    def test_the_site_feeds_carry_math_as_mathml(self) -> None:
        for path in ("/feed/", "/feed/atom/", "/en/feed/", "/en/feed/atom/"):
            entries = feedparser.parse(self.responses[path].content).entries
            with_math = [entry for entry in entries if "<math" in entry.content[0].value]
            self.assertTrue(with_math, path)

    def test_every_rss_feed_matches_the_rss_grammar(self) -> None:
        require_vnu()
        self.assertEqual(feedcheck.schema_problems(self.feeds("rss"), "rss.rnc", VNU_JAR), [])

    def test_every_atom_feed_matches_the_rfc_4287_grammar(self) -> None:
        require_vnu()
        self.assertEqual(feedcheck.schema_problems(self.feeds("atom"), "atom.rnc", VNU_JAR), [])

    def test_every_rss_feed_follows_the_rules_beyond_the_grammar(self) -> None:
        problems = {
            url: found
            for url, xml in self.feeds("rss").items()
            if (found := feedcheck.rss_problems(xml, url))
        }
        self.assertEqual(problems, {})

    def test_every_atom_feed_follows_the_rules_beyond_the_grammar(self) -> None:
        problems = {
            url: found
            for url, xml in self.feeds("atom").items()
            if (found := feedcheck.atom_problems(xml, url))
        }
        self.assertEqual(problems, {})


class CheckerTests(TestCase):
    """The checks above can fail: each finds a fault put into a real feed of the site."""

    @classmethod
    def setUpTestData(cls) -> None:
        category = make_category("机器学习")
        make_note("第一篇", category=category, tags=["注意力"], body="正文 $x^2$。")
        make_note("Second note", category=category, body="Body with [a link](/notes/x/).")
        cls.rss = cls.client_class().get("/feed/").content
        cls.atom = cls.client_class().get("/feed/atom/").content
        cls.rss_url = settings.SITE_URL + "/feed/"
        cls.atom_url = settings.SITE_URL + "/feed/atom/"

    def test_the_unbroken_feeds_have_no_problems(self) -> None:
        self.assertEqual(feedcheck.rss_problems(self.rss, self.rss_url), [])
        self.assertEqual(feedcheck.atom_problems(self.atom, self.atom_url), [])

    def test_the_rss_grammar_finds_a_relative_link_and_an_unknown_element(self) -> None:
        require_vnu()
        broken = self.rss.replace(b"<link>http://testserver/notes/", b"<link>/notes/", 1)
        broken = broken.replace(b"<language>", b"<rating>x</rating><bogus/><language>", 1)
        problems = feedcheck.schema_problems({"x": broken}, "rss.rnc", VNU_JAR)
        self.assertEqual(len(problems), 2, problems)
        self.assertIn("bogus", problems[0])
        self.assertIn("/notes/", problems[1])

    def test_the_atom_grammar_finds_an_entry_without_an_id(self) -> None:
        require_vnu()
        start = self.atom.index(b"<id>http://testserver/notes/")
        broken = self.atom[:start] + self.atom[self.atom.index(b"</id>", start) + 5 :]
        problems = feedcheck.schema_problems({"x": broken}, "atom.rnc", VNU_JAR)
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("entry", problems[0])

    def test_a_self_link_elsewhere_is_found(self) -> None:
        self.assertIn(
            f"self link ['{self.rss_url}'] is not the feed's address {self.rss_url}x",
            feedcheck.rss_problems(self.rss, self.rss_url + "x"),
        )
        self.assertTrue(feedcheck.atom_problems(self.atom, self.atom_url + "?q=x"))

    def test_unsafe_markup_and_relative_addresses_in_content_are_found(self) -> None:
        unsafe = b"&lt;p onclick='x()'&gt;&lt;script&gt;&lt;/script&gt;&lt;img src='a.png'&gt;"
        broken = self.rss.replace(b"&lt;p&gt;", unsafe, 1)
        problems = feedcheck.rss_problems(broken, self.rss_url)
        self.assertTrue(any("<script> element" in p for p in problems), problems)
        self.assertTrue(any("onclick attribute" in p for p in problems), problems)
        self.assertTrue(any("relative src='a.png'" in p for p in problems), problems)

    def test_a_wrong_day_of_the_week_is_found(self) -> None:
        date = feedparser.parse(self.rss).entries[0].published
        wrong = ("Mon" if not date.startswith("Mon") else "Tue") + date[3:]
        broken = self.rss.replace(date.encode(), wrong.encode(), 1)
        self.assertEqual(
            feedcheck.rss_problems(broken, self.rss_url),
            [f"date {wrong!r}: the day of the week is wrong"],
        )

    def test_an_id_used_twice_is_found(self) -> None:
        first, second = (entry.id for entry in feedparser.parse(self.atom).entries)
        broken = self.atom.replace(f"<id>{second}</id>".encode(), f"<id>{first}</id>".encode())
        self.assertEqual(
            feedcheck.atom_problems(broken, self.atom_url), [f"id {first!r} used twice"]
        )

    def test_an_atom_date_without_a_time_zone_is_found(self) -> None:
        broken = self.atom.replace(b"+00:00</updated>", b"</updated>", 1)
        problems = feedcheck.atom_problems(broken, self.atom_url)
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("time zone", problems[0])
