"""The parts every page shares, rendered once rather than per request: the addresses and
links of its head, the category navigation and the footer.

Each is a pure function of what it shows (the language, the deployment's path prefix, the
categories, the feeds), so a process renders each combination once and reuses it; nothing
here can go stale, because what it depends on is its key.
"""

from __future__ import annotations

import functools
import json

from django.conf import settings
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse, translate_url
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from notes.seo import absolute


def feed_links(title: str, rss_url: str, atom_url: str) -> list[dict[str, str]]:
    """The <link rel="alternate"> entries a page advertises to feed readers."""
    return [
        {"title": f"{title} (RSS)", "type": "application/rss+xml", "url": rss_url},
        {"title": f"{title} (Atom)", "type": "application/atom+xml", "url": atom_url},
    ]


@functools.lru_cache(maxsize=16)
def site_chrome(language: str, script_prefix: str) -> dict:
    """The addresses every page's header, footer and head link to: the same for every
    request in a language (and for the deployment's path prefix), so worked out once per
    process rather than reversed on every page."""
    links = {
        name.replace("-", "_"): reverse(f"notes:{name}")
        for name in (
            "list", "search", "opensearch", "categories", "tags", "archive", "series-list",
            "papers", "updates", "feed", "feed-atom",
        )
    }  # fmt: skip
    assets = {
        name.replace("/", "_").replace(".", "_"): static(name)
        for name in ("favicon.svg", "css/site.css", "css/pygments.css", "js/theme.js",
                     "js/reader.js")
    }  # fmt: skip
    return {
        "links": links,
        "assets": assets,
        "feeds": feed_links(settings.SITE_NAME, links["feed"], links["feed_atom"]),
    }


def current_chrome() -> dict:
    return site_chrome(get_language(), get_script_prefix())


def _feeds_key(feeds: list[dict[str, str]]) -> tuple:
    return tuple((feed["title"], feed["type"], feed["url"]) for feed in feeds)


def head_links(feeds: list[dict[str, str]] | None = None) -> SafeString:
    """The head's icon, stylesheets, scripts and feed links: the site's feeds unless a page
    advertises its own (a category's, a tag's)."""
    chrome = current_chrome()
    return _head_links(get_language(), get_script_prefix(), _feeds_key(feeds or chrome["feeds"]))


@functools.lru_cache(maxsize=256)
def _head_links(language: str, script_prefix: str, feeds: tuple) -> SafeString:
    chrome = site_chrome(language, script_prefix)
    context = {
        **chrome,
        "site_name": settings.SITE_NAME,
        "feeds": [{"title": title, "type": kind, "url": url} for title, kind, url in feeds],
    }
    return mark_safe(render_to_string("includes/head_links.html", context).strip())


def nav_items(navigation: list[list], current_slug: str = "") -> SafeString:
    """The header's category links (the site state's navigation), the current one marked."""
    key = tuple(tuple(entry) for entry in navigation)
    return _nav_items(get_language(), get_script_prefix(), key, current_slug or "")


@functools.lru_cache(maxsize=256)
def _nav_items(language: str, script_prefix: str, navigation: tuple, current: str) -> SafeString:
    categories = [
        {"name": name, "slug": slug, "url": reverse("notes:category", kwargs={"slug": slug})}
        for _pk, name, slug in navigation
    ]
    html = render_to_string(
        "includes/nav_items.html", {"categories": categories, "current_category_slug": current}
    )
    return mark_safe(html.strip())


def footer() -> SafeString:
    return _footer(get_language(), get_script_prefix())


@functools.lru_cache(maxsize=16)
def _footer(language: str, script_prefix: str) -> SafeString:
    context = {
        **site_chrome(language, script_prefix),
        "site_name": settings.SITE_NAME,
        "site_description": settings.SITE_DESCRIPTION,
        "ui_lang": bcp47(language),
    }
    return mark_safe(render_to_string("includes/footer.html", context).strip())


def reader_messages() -> str:
    """The words static/js/reader.js shows, in the page's language."""
    return json.dumps(
        {
            "copy": gettext("Copy"),
            "copied": gettext("Copied"),
            "anchor": gettext("Link to this section"),
            "dark": gettext("Dark theme"),
            "light": gettext("Light theme"),
        },
        ensure_ascii=False,
    )


def bcp47(code: str) -> str:
    """Django's language code as HTML's lang and hreflang write it: zh-hans → zh-Hans."""
    language, _, script = code.partition("-")
    return f"{language}-{script.title()}" if len(script) == 4 else code


def language_alternates(full_path: str, request=None) -> list[dict]:
    """The page at ``full_path`` in each language: the switcher's links and the hreflang
    alternates."""
    current = get_language()
    alternates = []
    for code, name in settings.LANGUAGES:
        path = _translated(full_path, code, get_script_prefix())
        alternates.append(
            {
                "code": code,
                "lang": bcp47(code),
                "name": name,
                "path": path,
                "url": absolute(request, path),
                "current": code == current,
                "default": code == settings.LANGUAGE_CODE,
            }
        )
    return alternates


@functools.lru_cache(maxsize=2048)
def _translated(full_path: str, code: str, script_prefix: str) -> str:
    """The same page's address in another language: the URLs' own function of the path
    (resolved, then reversed), so worked out once per path and process."""
    return translate_url(full_path, code)


def page_context(full_path: str, request=None) -> dict:
    """What base.html shows besides the page's own content, for a page at ``full_path``
    (the context processor's)."""
    chrome = current_chrome()
    return {
        "site_name": settings.SITE_NAME,
        "site_description": settings.SITE_DESCRIPTION,
        "feeds": chrome["feeds"],
        "links": chrome["links"],
        "assets": chrome["assets"],
        "ui_lang": bcp47(get_language()),
        "reader_messages": reader_messages(),
        "language_alternates": language_alternates(full_path, request),
    }
