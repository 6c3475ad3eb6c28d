"""What the whole site publishes about itself: OpenSearch, the sitemap index, robots.txt."""

from django.contrib.sitemaps.views import SitemapIndexItem
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import reverse

from notes.delivery import state
from notes.seo import site_url
from notes.sitemaps import SITEMAPS


def opensearch(request: HttpRequest) -> HttpResponse:
    """The OpenSearch description browsers read to offer the site's search."""
    return render(
        request,
        "opensearch.xml",
        {"base": site_url(request)},
        content_type="application/opensearchdescription+xml; charset=utf-8",
    )


def sitemap_index(request: HttpRequest) -> HttpResponse:
    """``/sitemap.xml``: one entry per section page (Django's index would take its addresses
    from the request's host rather than DJANGO_SITE_URL)."""
    base = site_url(request)
    # The site state knows when readers last saw a change and how many notes there are.
    site = state.current(request)
    last = site.changed_at
    items = []
    for section, sitemap_class in SITEMAPS.items():
        url = base + reverse("sitemap-section", kwargs={"section": section})
        sitemap = sitemap_class()
        pages = sitemap.page_count(site.total) if section == "notes" else sitemap.page_count()
        items += [SitemapIndexItem(url, last)]
        items += [SitemapIndexItem(f"{url}?p={page}", last) for page in range(2, pages + 1)]
    return TemplateResponse(
        request, "sitemap_index.xml", {"sitemaps": items}, content_type="application/xml"
    )


def robots_txt(request: HttpRequest) -> HttpResponse:
    """Crawl everything readers see; not the admin, previews or search results."""
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /preview/",
        "Disallow: /search/",
        f"Sitemap: {site_url(request)}{reverse('sitemap')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
