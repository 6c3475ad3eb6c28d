"""RSS 2.0 and Atom feeds with the full rendered note, for real feed readers.

Django's generators only carry a summary, so both are extended with the full HTML:
``content:encoded`` in RSS and ``<content type="html">`` in Atom (notes.feedxml). Each
note's item is rendered on save; a feed joins the stored items around the notes' HTML, or,
for a client that accepts gzip, around their HTML compressed on save (notes.feedxml).
"""

import re
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.encoding import iri_to_uri
from django.utils.http import http_date
from django.utils.translation import get_language
from taggit.models import Tag

from notes import feedxml, search, state
from notes.feedxml import ContentAtomFeed, ContentRssFeed, absolutize
from notes.models import Category, Note, Series
from notes.seo import absolute

# What a feed reads of a note: its stored item halves and its HTML; gzipped, its HTML
# compressed instead (read only for a note whose segment must be made again).
FEED_FIELDS = ("id", "published_at", "updated_at", "feed_html", "feed_items")
GZIP_FEED_FIELDS = ("id", "published_at", "updated_at", "feed_gzip", "feed_items")
# As GZipMiddleware decides.
_ACCEPTS_GZIP = re.compile(r"\bgzip\b")


def accepts_gzip(request: HttpRequest) -> bool:
    return bool(_ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")))


def _absolute(path: str) -> str:
    """``path`` on DJANGO_SITE_URL, encoded as Django's feeds encode addresses (so ids stay
    what they were when Django added the host itself)."""
    return iri_to_uri(absolute(None, path))


class LatestNotesFeed(Feed):
    feed_type = ContentRssFeed
    description = settings.SITE_DESCRIPTION

    def __call__(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        """Django's, but a client that accepts gzip gets the feed compressed around each note's
        stored segment (GZipMiddleware leaves a response with a Content-Encoding alone)."""
        try:
            obj = self.get_object(request, *args, **kwargs)
        except ObjectDoesNotExist:
            raise Http404("Feed object does not exist.") from None
        feedgen = self.get_feed(obj, request)
        response = HttpResponse(content_type=feedgen.content_type)
        if hasattr(self, "item_pubdate") or hasattr(self, "item_updateddate"):
            response.headers["Last-Modified"] = http_date(feedgen.latest_post_date().timestamp())
        if accepts_gzip(request):
            # No random file name as GZipMiddleware adds (against BREACH): a feed is public
            # and carries no secret.
            response.content = feedgen.write_gzip()
            response.headers["Content-Encoding"] = "gzip"
            response.headers["Content-Length"] = str(len(response.content))
            patch_vary_headers(response, ("Accept-Encoding",))
        else:
            feedgen.write(response, "utf-8")
        return response

    def get_feed(self, obj, request: HttpRequest):
        """The channel from Django's Feed, the items as each note stores them. Every address
        comes from DJANGO_SITE_URL: a feed fetched by another host name is byte for byte the
        same, and readers never see an item twice."""
        feed = super().get_feed(obj, request)
        # Names, descriptions and the search query are plain text, as XML can carry it.
        for key in ("title", "description", "subtitle"):
            if feed.feed.get(key):
                feed.feed[key] = feedxml.xml_text(str(feed.feed[key]))
        feed.feed["feed_url"] = _absolute(self.feed_path(obj, request))
        compressed = accepts_gzip(request)
        notes = self.feed_notes(obj, fields=GZIP_FEED_FIELDS if compressed else FEED_FIELDS)
        kind = "atom" if issubclass(self.feed_type, ContentAtomFeed) else "rss"
        language = get_language()
        builds = feedxml.current_builds()
        feed.stored = [
            self.item_xml(note, kind, language, compressed=compressed, builds=builds)
            for note in notes
        ]
        feed.stored_latest = max(
            (max(note.updated_at, note.published_at) for note in notes), default=None
        )
        return feed

    def items(self, obj=None) -> list[Note]:
        return []  # get_feed adds the items, from what each note stores

    def feed_path(self, obj, request: HttpRequest) -> str:
        """The feed's own address (its self link), without what else a client added."""
        return request.path

    def item_xml(
        self,
        note: Note,
        kind: str,
        language: str,
        *,
        compressed: bool = False,
        builds: feedxml.Builds | None = None,
    ) -> str | feedxml.StoredItem:
        xml = feedxml.stored_parts(note, kind, language, compressed=compressed, builds=builds)
        if xml is None:
            # Stored by an older release, or for another site address: rendered and kept.
            note = Note.objects.select_related("category", "author").get(pk=note.pk)
            note.refresh_feed_items()
            xml = feedxml.stored_parts(note, kind, language, compressed=compressed, builds=builds)
        if xml is None:  # no stored halves for this note: written whole, as Django would
            fields = feedxml.item_fields(
                note,
                category_name=note.category.name,
                tag_names=[name for name, _slug in note.tag_data],
                author=note.author_name,
            )
            xml = feedxml.render_item(kind, fields, absolutize(note.feed_html, settings.SITE_URL))
        return xml

    def title(self, obj=None) -> str:
        return settings.SITE_NAME

    def link(self, obj=None) -> str:
        return _absolute("/")

    def notes(self, obj=None) -> QuerySet[Note]:
        return Note.objects.published()

    def feed_notes(self, obj=None, *, fields: tuple[str, ...] = FEED_FIELDS) -> list[Note]:
        return list(self.notes(obj).only(*fields)[: settings.FEED_ITEMS])


class LatestNotesAtomFeed(LatestNotesFeed):
    feed_type = ContentAtomFeed
    subtitle = LatestNotesFeed.description


class CategoryFeed(LatestNotesFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Category:
        return get_object_or_404(Category, slug=slug)

    def title(self, obj: Category) -> str:
        return f"{obj.name} · {settings.SITE_NAME}"

    def link(self, obj: Category) -> str:
        return _absolute(obj.get_absolute_url())

    def description(self, obj: Category) -> str:
        return obj.description or settings.SITE_DESCRIPTION

    def notes(self, obj: Category) -> QuerySet[Note]:
        return Note.objects.published().filter(category=obj)


class CategoryAtomFeed(CategoryFeed):
    feed_type = ContentAtomFeed

    def subtitle(self, obj: Category) -> str:
        return self.description(obj)


class TagFeed(LatestNotesFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Tag:
        state.current(request)  # renews the tags' counts first, should they be due
        tag = get_object_or_404(Tag.objects.select_related("public_count"), slug=slug)
        # Same rule as the tag page: a tag no reader can see has no feed either.
        counted = getattr(tag, "public_count", None)
        if not counted or not counted.notes:
            raise Http404("No published note has this tag.")
        return tag

    def title(self, obj: Tag) -> str:
        return f"#{obj.name} · {settings.SITE_NAME}"

    def link(self, obj: Tag) -> str:
        return _absolute(reverse("notes:tag", kwargs={"slug": obj.slug}))

    def description(self, obj: Tag) -> str:
        return f"{settings.SITE_DESCRIPTION} #{obj.name}"

    def notes(self, obj: Tag) -> QuerySet[Note]:
        return Note.objects.published().with_tag(obj)


class TagAtomFeed(TagFeed):
    feed_type = ContentAtomFeed

    def subtitle(self, obj: Tag) -> str:
        return self.description(obj)


class SearchFeed(LatestNotesFeed):
    """``/search/feed/?q=…``: the newest published notes matching a query, to follow a topic
    across categories."""

    def get_object(self, request: HttpRequest):
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

    def feed_notes(self, obj: search.Query, *, fields: tuple[str, ...] = FEED_FIELDS) -> list[Note]:
        found = search.search(
            obj, Note.objects.published(), order="newest", offset=0, limit=settings.FEED_ITEMS
        )
        by_id = Note.objects.only(*fields).in_bulk(found.ids)
        return [by_id[pk] for pk in found.ids]


class SearchAtomFeed(SearchFeed):
    feed_type = ContentAtomFeed

    def subtitle(self, obj: search.Query) -> str:
        return self.description(obj)


class SeriesFeed(LatestNotesFeed):
    """A series' parts as they are published, newest first like every feed."""

    def get_object(self, request: HttpRequest, slug: str) -> Series:
        series = get_object_or_404(Series, slug=slug)
        if not Note.objects.published().filter(series=series).exists():
            raise Http404("This series has no published notes yet.")
        return series

    def title(self, obj: Series) -> str:
        return f"{obj.title} · {settings.SITE_NAME}"

    def link(self, obj: Series) -> str:
        return _absolute(obj.get_absolute_url())

    def description(self, obj: Series) -> str:
        return obj.description or settings.SITE_DESCRIPTION

    def notes(self, obj: Series) -> QuerySet[Note]:
        return Note.objects.published().filter(series=obj)


class SeriesAtomFeed(SeriesFeed):
    feed_type = ContentAtomFeed

    def subtitle(self, obj: Series) -> str:
        return self.description(obj)
