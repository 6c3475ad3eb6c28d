"""System checks: the search index was written by the tokenizer this code runs; in
production, the site's public address is one that absolute links can be built from."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError
from django.http.request import validate_host


@register()
def search_index_is_current(app_configs, **kwargs) -> list[Warning]:
    from notes.models import Note, SearchDocument
    from notes.search import TOKENIZER_VERSION

    try:
        notes = Note.objects.count()
        current = SearchDocument.objects.filter(version=TOKENIZER_VERSION).count()
    except DatabaseError:  # not migrated yet: nothing to compare
        return []
    if current == notes:
        return []
    return [
        Warning(
            f"The search index is out of date: {notes - current} of {notes} notes were indexed "
            "by another tokenizer version, or not at all.",
            hint="Run `python manage.py rebuild_search_index`.",
            id="notes.W001",
        )
    ]


@register(Tags.security, deploy=True)
def site_url_is_public_address(app_configs, **kwargs) -> list[Error | Warning]:
    """Feeds, canonical links and the sitemap are built from DJANGO_SITE_URL alone, so a
    wrong value is repeated in every feed reader and search engine."""
    value = settings.SITE_URL
    hint = "Set DJANGO_SITE_URL to the site's public address, e.g. https://notes.example.org"
    if not value:
        return [Error("DJANGO_SITE_URL is not set.", hint=hint, id="notes.E001")]
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [
            Error(
                f"DJANGO_SITE_URL {value!r} is not an http(s) address.", hint=hint, id="notes.E001"
            )
        ]
    if parts.path or parts.query or parts.fragment:
        return [
            Error(
                f"DJANGO_SITE_URL {value!r} has a path; give the scheme and host only.",
                hint=hint,
                id="notes.E001",
            )
        ]
    problems: list[Error | Warning] = []
    if parts.scheme != "https":
        problems.append(
            Warning(
                f"DJANGO_SITE_URL {value!r} is not HTTPS: feeds and canonical links will say http.",
                hint=hint,
                id="notes.W002",
            )
        )
    if not validate_host(parts.hostname, settings.ALLOWED_HOSTS):
        problems.append(
            Warning(
                f"The host of DJANGO_SITE_URL ({parts.hostname}) is not in DJANGO_ALLOWED_HOSTS: "
                "the site's own links would be refused.",
                hint="Add it to DJANGO_ALLOWED_HOSTS.",
                id="notes.W003",
            )
        )
    return problems
