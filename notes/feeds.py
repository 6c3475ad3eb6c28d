"""RSS 2.0 and Atom feeds on Django's ``Feed``: the newest published notes of the site, a
category, a tag, a series or a search, each item carrying the note's full HTML (notes.feedxml).

Every address comes from DJANGO_SITE_URL, never the request's host: a feed fetched by another
host name is byte for byte the same, and readers never see an item twice.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.cache import cache
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import iri_to_uri
from django.utils.feedgenerator import SyndicationFeed
from django.utils.html import escape
from django.utils.translation import gettext as _
from taggit.models import Tag

from notes import search
from notes.delivery import caching, state
from notes.feedxml import ContentAtomFeed, ContentRssFeed, feed_content, xml_text
from notes.models import Category, Note, NoteUpdate, Series
from notes.rendering.math.markup import inline_styles
from notes.seo import absolute

# What items read of a note, its category and its author: the rest of a note (its Markdown,
# TOC, JSON columns) would only be fetched and decoded for nothing.
FEED_FIELDS = (
    "title", "slug", "excerpt", "body_html", "lang", "tag_data", "published_at", "updated_at",
    "category__name", "author__first_name", "author__last_name", "author__username",
)  # fmt: skip


def for_feed(notes):
    """What items read, with each note's latest logged update (notes.models.NoteUpdate): a
    subscriber sees a note updated only when an editor said what changed."""
    latest = NoteUpdate.objects.filter(note=OuterRef("pk")).order_by("-made_at", "-pk")
    return (
        notes.select_related("category", "author")
        .only(*FEED_FIELDS)
        .annotate(
            last_update_at=Subquery(latest.values("made_at")[:1]),
            last_update=Subquery(latest.values("summary")[:1]),
        )
    )


def _absolute(path: str) -> str:
    """``path`` on DJANGO_SITE_URL, encoded as Django encodes the addresses it makes absolute
    itself (items' ids were made that way once, and must not change)."""
    return iri_to_uri(absolute(None, path))


def item_content(note: Note) -> str:
    """The note's HTML as feeds carry it: math's layout inline (feed readers have no math.css)
    and links absolute. A pure function of the stored body, kept with the cache by the body's
    digest, so it is made once per body rather than once per feed and request."""
    # The release too: a deploy may change how math's layout is written inline.
    text = f"{caching.release()}|{settings.SITE_URL}|{note.body_html}"
    digest = hashlib.sha256(text.encode()).hexdigest()[:32]
    key = f"notes:feed-content:{digest}"
    content = cache.get(key)
    if content is None:
        content = feed_content(inline_styles(note.body_html))
        cache.set(key, content, 24 * 3600)
    return content


class LatestNotesFeed(Feed):
    feed_type = ContentRssFeed

    def get_feed(self, obj, request: HttpRequest) -> SyndicationFeed:
        feed = super().get_feed(obj, request)
        # Names, descriptions and a search query are plain text, as XML can carry it.
        for key in ("title", "description", "subtitle"):
            if feed.feed.get(key):
                feed.feed[key] = xml_text(str(feed.feed[key]))
        # Django's would be on the request's host.
        feed.feed["feed_url"] = _absolute(self.feed_path(obj, request))
        return feed

    def feed_path(self, obj, request: HttpRequest) -> str:
        """The feed's own address (its self link), without what else a client added."""
        return request.path

    def title(self, obj=None) -> str:
        return settings.SITE_NAME

    def link(self, obj=None) -> str:
        return _absolute("/")

    def description(self, obj=None) -> str:
        return settings.SITE_DESCRIPTION

    def subtitle(self, obj=None) -> str:
        return self.description(obj)  # Atom's name for it; RSS writes no subtitle

    def notes(self, obj=None):
        return Note.objects.published()

    def items(self, obj=None):
        # Newest first by Note's ordering, which the published-notes indexes serve.
        return for_feed(self.notes(obj))[: settings.FEED_ITEMS]

    def item_title(self, note: Note) -> str:
        return xml_text(note.title)

    def item_link(self, note: Note) -> str:
        # Also the item's id (Django's default guid, without isPermaLink), as every id the
        # feeds ever gave: a changed id is an item every reader sees twice.
        return _absolute(note.get_absolute_url())

    def item_description(self, note: Note) -> str:
        # An RSS description and an Atom summary (type="html") are HTML to a feed reader; the
        # excerpt is plain text, so a "<script>" typed in a summary shows as text.
        excerpt = escape(xml_text(note.excerpt))
        if not getattr(note, "last_update", None):
            return excerpt
        line = _("Updated %(date)s: %(summary)s") % {
            "date": timezone.localdate(note.last_update_at).isoformat(),
            "summary": note.last_update,
        }
        return f"<p>{escape(xml_text(line))}</p><p>{excerpt}</p>"

    def item_pubdate(self, note: Note) -> datetime:
        return note.published_at.astimezone(UTC)

    def item_updateddate(self, note: Note) -> datetime:
        # A typo fix changes nothing for subscribers: only a logged update does.
        updated = getattr(note, "last_update_at", None) or note.published_at
        return max(updated, note.published_at).astimezone(UTC)

    def item_author_name(self, note: Note) -> str:
        author = note.author
        name = (author.get_full_name() or author.get_username()) if author else ""
        return xml_text(name or settings.SITE_NAME)

    def item_categories(self, note: Note) -> list[str]:
        # Tags as the note stores them: no query per item.
        names = (note.category.name, *(name for name, _slug in note.tag_data))
        return [xml_text(name) for name in names]

    def item_extra_kwargs(self, note: Note) -> dict:
        return {"content": item_content(note), "lang": note.lang}


class LatestNotesAtomFeed(LatestNotesFeed):
    feed_type = ContentAtomFeed


class CategoryFeed(LatestNotesFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Category:
        return get_object_or_404(Category, slug=slug)

    def title(self, obj: Category) -> str:
        return f"{obj.name} · {settings.SITE_NAME}"

    def link(self, obj: Category) -> str:
        return _absolute(obj.get_absolute_url())

    def description(self, obj: Category) -> str:
        return obj.description or settings.SITE_DESCRIPTION

    def notes(self, obj: Category):
        return Note.objects.published().filter(category=obj)


class CategoryAtomFeed(CategoryFeed):
    feed_type = ContentAtomFeed


class TagFeed(LatestNotesFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Tag:
        tag = get_object_or_404(Tag.objects.select_related("public_count"), slug=slug)
        # Same rule as the tag page: a tag no reader can see has no feed either. The stored
        # count, plus scheduled notes gone live since (the state the page cache read).
        counted = getattr(tag, "public_count", None)
        if not state.current(request).tag_count(tag.pk, counted.notes if counted else 0):
            raise Http404("No published note has this tag.")
        return tag

    def title(self, obj: Tag) -> str:
        return f"#{obj.name} · {settings.SITE_NAME}"

    def link(self, obj: Tag) -> str:
        return _absolute(reverse("notes:tag", kwargs={"slug": obj.slug}))

    def description(self, obj: Tag) -> str:
        return f"{settings.SITE_DESCRIPTION} #{obj.name}"

    def notes(self, obj: Tag):
        return Note.objects.published().with_tag(obj)


class TagAtomFeed(TagFeed):
    feed_type = ContentAtomFeed


class SearchFeed(LatestNotesFeed):
    """``/search/feed/?q=…``: the newest published notes matching a query, to follow a topic
    across categories."""

    def get_object(self, request: HttpRequest) -> search.Query:
        query = search.parse(request.GET.get("q", ""))
        if not query:
            raise Http404("A search feed needs a query: /search/feed/?q=diffusion")
        return query

    def feed_path(self, obj: search.Query, request: HttpRequest) -> str:
        # The query is the feed: without it the self link would name a 404.
        return f"{request.path}?{urlencode({'q': obj.text})}"

    def title(self, obj: search.Query) -> str:
        return f"“{obj.text}” · {settings.SITE_NAME}"

    def link(self, obj: search.Query) -> str:
        return _absolute(f"{reverse('notes:search')}?{urlencode({'q': obj.text})}")

    def description(self, obj: search.Query) -> str:
        return f"{settings.SITE_DESCRIPTION} “{obj.text}”"

    def items(self, obj: search.Query) -> list[Note]:
        found = search.search(
            obj, Note.objects.published(), order="newest", offset=0, limit=settings.FEED_ITEMS
        )
        by_id = for_feed(Note.objects.all()).in_bulk(found.ids)
        return [by_id[pk] for pk in found.ids]


class SearchAtomFeed(SearchFeed):
    feed_type = ContentAtomFeed


class SeriesFeed(LatestNotesFeed):
    """A series' parts as they are published, newest first like every feed."""

    def get_object(self, request: HttpRequest, slug: str) -> Series:
        return get_object_or_404(Series, slug=slug)

    def title(self, obj: Series) -> str:
        return f"{obj.title} · {settings.SITE_NAME}"

    def link(self, obj: Series) -> str:
        return _absolute(obj.get_absolute_url())

    def description(self, obj: Series) -> str:
        return obj.description or settings.SITE_DESCRIPTION

    def notes(self, obj: Series):
        return Note.objects.published().filter(series=obj)

    def items(self, obj: Series) -> list[Note]:
        # Checked on the items themselves, rather than by a query of its own beforehand.
        notes = list(super().items(obj))
        if not notes:
            raise Http404("This series has no published notes yet.")
        return notes


class SeriesAtomFeed(SeriesFeed):
    feed_type = ContentAtomFeed


class UpdatesFeed(LatestNotesFeed):
    """``/updates/feed/``: each substantive update of a published note, as its own item."""

    def title(self, obj=None) -> str:
        return f"{settings.SITE_NAME} · {_('Updates')}"

    def link(self, obj=None) -> str:
        return _absolute(reverse("notes:updates"))

    def items(self, obj=None):
        from notes.views.updates import public_updates

        return public_updates()[: settings.FEED_ITEMS]

    def item_title(self, update: NoteUpdate) -> str:
        return xml_text(update.note.title)

    def item_link(self, update: NoteUpdate) -> str:
        # Also the item's id: one per update, so each reaches subscribers once.
        return _absolute(update.get_absolute_url())

    def item_description(self, update: NoteUpdate) -> str:
        return escape(xml_text(update.summary))

    def item_pubdate(self, update: NoteUpdate) -> datetime:
        return update.made_at.astimezone(UTC)

    def item_updateddate(self, update: NoteUpdate) -> datetime:
        return self.item_pubdate(update)

    def item_author_name(self, update: NoteUpdate) -> str:
        return xml_text(settings.SITE_NAME)

    def item_categories(self, update: NoteUpdate) -> list[str]:
        return []

    def item_extra_kwargs(self, update: NoteUpdate) -> dict:
        # The line as the entry's content too: readers that show only content get it.
        return {"content": f"<p>{escape(xml_text(update.summary))}</p>", "lang": update.note.lang}


class UpdatesAtomFeed(UpdatesFeed):
    feed_type = ContentAtomFeed
