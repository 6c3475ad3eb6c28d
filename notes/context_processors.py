"""What every page's template needs: the site's name, shared addresses and categories."""

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest

from notes import chrome
from notes.converters import page_number
from notes.delivery import caching, state
from notes.models import Category
from notes.seo import absolute


def site(request: HttpRequest) -> dict:
    """Site name, the shared addresses and the category navigation, on every page.

    The categories come from the site state (notes.delivery.state), read only when a template
    shows them: the admin's pages never ask for it. ``site_version`` keys fragments kept with
    ``{% cache %}``: like the page cache, a change or a deploy starts them afresh.
    """
    try:
        context = chrome.page_context(request.get_full_path(), request)
        canonical = canonical_url(request)
    except SuspiciousOperation:
        # The request itself is what is wrong (say, more parameters than Django reads): its
        # 400 page is shown without the links made from it, rather than failing again (500).
        context = chrome.page_context("/", request)
        context["language_alternates"] = []
        canonical = ""
    return {
        **context,
        "canonical_url": canonical,
        "navigation": lambda: state.current(request).navigation,
        "nav_categories": lambda: navigation(request),
        "site_version": lambda: f"{caching.release()}-{state.current(request).tag}",
    }


def navigation(request: HttpRequest) -> list[Category]:
    return [
        Category(pk=pk, name=name, slug=slug)
        for pk, name, slug in state.current(request).navigation
    ]


def canonical_url(request: HttpRequest) -> str:
    """This page's one address: the path, and the page number of a list past its first."""
    url = absolute(request, request.path)
    number = page_number(request.GET.get("page"))
    if number is not None and number > 1:
        url += f"?page={number}"
    return url
