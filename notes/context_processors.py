import functools
import json

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse, translate_url
from django.utils.translation import get_language, gettext

from notes import state
from notes.models import Category
from notes.seo import absolute
from notes.views import feed_links


def site(request: HttpRequest) -> dict:
    """Site name and the category navigation, on every page.

    The categories come from the site state (notes.state), read only when a template shows
    them: the admin's pages never ask for it.
    """
    try:
        addresses = {
            "canonical_url": canonical_url(request),
            "language_alternates": language_alternates(request),
        }
    except SuspiciousOperation:
        # The request itself is what is wrong (say, more parameters than Django reads): its
        # 400 page is shown without the links made from it, rather than failing again (500).
        addresses = {"canonical_url": "", "language_alternates": []}
    chrome = site_chrome(get_language(), get_script_prefix())
    return {
        "site_name": settings.SITE_NAME,
        "site_description": settings.SITE_DESCRIPTION,
        "nav_categories": lambda: navigation(request),
        # Site-wide feeds; list views replace these with their own category or tag feeds.
        "feeds": chrome["feeds"],
        "links": chrome["links"],
        "assets": chrome["assets"],
        "ui_lang": bcp47(get_language()),
        "reader_messages": reader_messages(),
        **addresses,
    }


@functools.lru_cache(maxsize=16)
def site_chrome(language: str, script_prefix: str) -> dict:
    """The addresses every page's header, footer and head link to: the same for every
    request in a language (and for the deployment's path prefix), so worked out once per
    process rather than reversed on every page."""
    links = {
        name.replace("-", "_"): reverse(f"notes:{name}")
        for name in (
            "list", "search", "opensearch", "categories", "tags", "archive", "series-list",
            "feed", "feed-atom",
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


def navigation(request: HttpRequest) -> list[Category]:
    return [
        Category(pk=pk, name=name, slug=slug)
        for pk, name, slug in state.current(request).navigation
    ]


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


def canonical_url(request: HttpRequest) -> str:
    """This page's one address: the path, and the page number of a list past its first."""
    url = absolute(request, request.path)
    page = request.GET.get("page", "")
    if page.isascii() and page.isdigit() and int(page) > 1:
        url += f"?page={int(page)}"
    return url


def bcp47(code: str) -> str:
    """Django's language code as HTML's lang and hreflang write it: zh-hans → zh-Hans."""
    language, _, script = code.partition("-")
    return f"{language}-{script.title()}" if len(script) == 4 else code


def language_alternates(request: HttpRequest) -> list[dict]:
    """This page in each language: the switcher's links and the hreflang alternates."""
    current = get_language()
    alternates = []
    for code, name in settings.LANGUAGES:
        path = translate_url(request.get_full_path(), code)
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
