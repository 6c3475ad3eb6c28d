"""No reader ever meets a formula placeholder ("[公式]", "[formula]", "[Math]"): every page,
feed, sitemap and JSON-LD a reader can reach from the home page, in both languages, over the
demo notes, the hostile corpus and notes made of nothing but math."""

from __future__ import annotations

import re
from unittest import mock
from urllib.parse import urljoin, urlsplit

from django.core.management import call_command
from django.test import TestCase

from tests import math_corpus
from tests.factories import make_note
from tests.hostile_corpus import PAYLOADS

PLACEHOLDERS = ("[公式]", "[formula]", "[Math]", "[math]")
_LINK = re.compile(r"""(?:href|src)="([^"#]+)"|<loc>([^<]+)</loc>""")
# The site's public sections (links a hostile note writes elsewhere lead only to 404s).
_PUBLIC = re.compile(r"^/(en/)?((notes|category|tag|archive|series|search|feed)/|sitemap|$)")
SEEDS = ("/", "/en/", "/sitemap.xml", "/search/?q=softmax", "/en/search/?q=alpha",
         "/search/?q=%E5%85%AC%E5%BC%8F", "/feed/", "/en/feed/atom/")  # fmt: skip


def all_formulas() -> list[str]:
    return [
        tex
        for name in dir(math_corpus)
        if name.isupper() and isinstance(getattr(math_corpus, name), list)
        for entry in getattr(math_corpus, name)
        for tex in (entry if isinstance(entry, tuple) else (entry,))
        if isinstance(tex, str)
    ]


def make_math_notes() -> None:
    formulas = all_formulas()
    make_note(title="只有公式", body="".join(f"${tex}$ " for tex in formulas))
    make_note(title="Only display math", body="\n\n".join(f"$$\n{tex}\n$$" for tex in formulas))
    make_note(
        title="公式和表格",
        body=r"$\frac{1}{2}$ 与 $x_{\theta}$" + "\n\n| $a$ | $\\sqrt{b}$ |\n|---|---|\n| 1 | 2 |",
    )
    for start in range(0, len(PAYLOADS), 25):
        make_note(
            title=f"Hostile {start}",
            body="\n\n".join(f"{p.text} $x_{{\\theta}}$" for p in PAYLOADS[start : start + 25]),
        )


def crawl(client, limit: int = 5000) -> dict[str, str]:
    """Every public address reachable from the seeds by links, and what it answered."""
    seen: dict[str, str] = {}
    queue = list(SEEDS)
    while queue and len(seen) < limit:
        address = queue.pop()
        if address in seen:
            continue
        response = client.get(address)
        body = b"".join(response) if response.streaming else response.content
        text = body.decode("utf-8", "replace") if response.status_code == 200 else ""
        seen[address] = text
        for found in _LINK.finditer(text):
            link = urljoin(address, (found.group(1) or found.group(2)).replace("&amp;", "&"))
            parts = urlsplit(link)
            if parts.netloc not in ("", "testserver"):
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            # Other pages of lists, and the filters and orders of a search, show the same
            # cards again: the seeds' searches stand for them.
            if not _PUBLIC.match(path) or path in seen or parts.query:
                continue
            queue.append(path)
    return seen


class NoPlaceholderAnywhereTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        call_command("load_demo", stdout=mock.Mock())
        make_math_notes()

    def test_no_reachable_page_or_feed_shows_a_formula_placeholder(self) -> None:
        pages = crawl(self.client)
        self.assertGreater(len(pages), 150)
        kinds = {"feed": 0, "sitemap": 0, "json-ld": 0}
        for address, text in pages.items():
            kinds["feed"] += "<rss" in text or "<feed" in text
            kinds["sitemap"] += "<urlset" in text
            kinds["json-ld"] += "application/ld+json" in text
            for placeholder in PLACEHOLDERS:
                self.assertNotIn(placeholder, text, address)
        self.assertTrue(all(kinds.values()), kinds)

    def test_the_crawl_finds_a_placeholder_when_one_is_put_back(self) -> None:
        """The old behaviour restored (a formula said as "[公式]"), the same crawl fails."""
        with mock.patch("notes.rendering.plaintext.formula_text", return_value="[公式]"):
            call_command("rerender_notes", stdout=mock.Mock())
        pages = crawl(self.client, limit=60)
        self.assertTrue(any("[公式]" in text for text in pages.values()))
