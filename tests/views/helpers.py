"""Reading the public pages' HTML in tests: links, feeds advertised, list items, pagination,
the friendly 404."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from django.conf import settings
from django.urls import reverse

from notes.models import Note

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
