"""What search engines and link previews read: absolute URLs, JSON-LD, the preview image."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from notes.citing import Citable

if TYPE_CHECKING:  # models use this module when they render a note's page parts
    from notes.models import Note, Paper, Series

# Nothing in the data can close the <script> element or start a comment: "<", ">" and "&"
# are escaped as JSON allows, as are the line separators JavaScript parsers trip on.
_SCRIPT_ESCAPES = {
    ord("<"): "\\u003C",
    ord(">"): "\\u003E",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}
_FIRST_IMAGE = re.compile(r'<img\b[^>]*?\ssrc="([^"]+)"')


def site_url(request: HttpRequest | None = None) -> str:
    """The site's public address, DJANGO_SITE_URL: never the request's Host header, which a
    client chooses (any allowed host, or a proxy's internal name). ``request`` is unused."""
    return settings.SITE_URL


def absolute(request: HttpRequest | None, path: str) -> str:
    return path if path.startswith(("http://", "https://")) else site_url(request) + path


def json_ld(data: dict[str, Any]) -> SafeString:
    """``data`` as the body of a <script type="application/ld+json">, safe from any field."""
    text = json.dumps(data, ensure_ascii=False, cls=DjangoJSONEncoder, separators=(",", ":"))
    return mark_safe(text.translate(_SCRIPT_ESCAPES))


def citable(note: Note, last_update: datetime | None = None) -> Citable:
    """What a citation of the note says (notes.citing). Its address is the default language's,
    so both interfaces give one citation; an undated draft in a preview is dated today. It is
    dated updated by the note's latest logged update only: a typo fix is not a new version."""
    with translation.override(settings.LANGUAGE_CODE):
        url = absolute(None, note.get_absolute_url())
    published = note.published_at or timezone.now()
    return Citable(
        title=note.title,
        authors=(note.author_name,) if note.author_name else (),
        site=settings.SITE_NAME,
        published=timezone.localdate(published),
        updated=timezone.localdate(last_update) if last_update else None,
        url=url,
        language=note.lang,
        slug=note.slug,
        pk=note.pk,
    )


def first_image(note: Note) -> str:
    """The first figure of the note's body, for link previews; "" when it has none."""
    found = _FIRST_IMAGE.search(note.body_html)
    return found.group(1).replace("&amp;", "&") if found else ""


def _paper(paper: Paper, request: HttpRequest | None) -> dict[str, Any]:
    data: dict[str, Any] = {"@type": "ScholarlyArticle", "name": paper.title}
    if paper.authors:
        data["author"] = [{"@type": "Person", "name": name} for name in paper.author_list]
    identifiers = []
    if paper.arxiv:
        identifiers.append(f"arXiv:{paper.arxiv}")
    if paper.doi:
        identifiers.append(f"doi:{paper.doi}")
    if identifiers:
        data["identifier"] = identifiers if len(identifiers) > 1 else identifiers[0]
    url = paper.link
    if url:
        data["url"] = url
    if paper.year:
        data["datePublished"] = str(paper.year)
    return data


def note_json_ld(
    note: Note,
    *,
    request: HttpRequest | None,
    tags: list,
    papers: list[Paper],
    series: Series | None,
    image: str,
) -> list[dict[str, Any]]:
    """BlogPosting (with the papers as citations and the series it is part of) and the
    breadcrumbs from the home page through the category to the note."""
    url = absolute(request, note.get_absolute_url())
    posting: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": note.title,
        "url": url,
        "mainEntityOfPage": url,
        # In the site's time zone, as the page's meta tags write them: the same whether the
        # note was just saved (a local time from the form) or read back (UTC).
        "datePublished": note.published_at and timezone.localtime(note.published_at),
        "dateModified": note.updated_at and timezone.localtime(note.updated_at),
        "inLanguage": note.lang,
        "articleSection": note.category.name,
        "description": note.excerpt,
        "publisher": {"@type": "Organization", "name": settings.SITE_NAME},
    }
    if note.author_name:
        posting["author"] = {"@type": "Person", "name": note.author_name}
    else:
        posting["author"] = {"@type": "Organization", "name": settings.SITE_NAME}
    if tags:
        # Tags as a note stores them ({"name", "slug"}) or as taggit's rows.
        posting["keywords"] = [tag["name"] if isinstance(tag, dict) else tag.name for tag in tags]
    if image:
        posting["image"] = absolute(request, image)
    if series is not None:
        posting["isPartOf"] = {
            "@type": "CreativeWorkSeries",
            "name": series.title,
            "url": absolute(request, series.get_absolute_url()),
        }
    if papers:
        posting["citation"] = [_paper(paper, request) for paper in papers]
    breadcrumbs = {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": position, "name": name, "item": item}
            for position, (name, item) in enumerate(
                [
                    (settings.SITE_NAME, absolute(request, "/")),
                    (note.category.name, absolute(request, note.category.get_absolute_url())),
                    (note.title, url),
                ],
                start=1,
            )
        ],
    }
    return [posting, breadcrumbs]
