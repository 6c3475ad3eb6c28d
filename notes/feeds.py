"""RSS 2.0 and Atom feeds with the full rendered note, for real feed readers.

Django's generators only carry a summary, so both are extended with the full HTML:
``content:encoded`` in RSS and ``<content type="html">`` in Atom.
"""

import re
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from taggit.models import Tag

from notes import search, state
from notes.models import Category, Note, Series

# What a feed never reads of a note.
FEED_UNREAD = ("body", "body_html", "cards", "toc_html", "render_warnings", "extra_front_matter",
               "related_data", "paper_data")  # fmt: skip
# Root-relative links and images (/notes/..., /media/...) mean nothing inside a feed reader.
_ROOT_RELATIVE = re.compile(r'(\s(?:href|src)=")/(?!/)')


def absolutize(html: str, base: str) -> str:
    return _ROOT_RELATIVE.sub(rf"\1{base}/", html)


class ContentRssFeed(Rss201rev2Feed):
    def rss_attributes(self) -> dict:
        return {
            **super().rss_attributes(),
            "xmlns:content": "http://purl.org/rss/1.0/modules/content/",
        }

    def add_item_elements(self, handler, item) -> None:
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content:encoded", item["content"])


class ContentAtomFeed(Atom1Feed):
    def item_attributes(self, item) -> dict:
        # Each entry says its own language (an English note in a Chinese site's feed); RSS
        # has no per-item language, so RSS channels keep the site's.
        attributes = super().item_attributes(item)
        if item.get("lang"):
            attributes["xml:lang"] = item["lang"]
        return attributes

    def add_item_elements(self, handler, item) -> None:
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content", item["content"], {"type": "html"})


class LatestNotesFeed(Feed):
    feed_type = ContentRssFeed
    description = settings.SITE_DESCRIPTION

    def get_feed(self, obj, request: HttpRequest):
        # Feed instances are shared between threads, so the request's base URL is applied
        # here, per feed, rather than stored on self.
        feed = super().get_feed(obj, request)
        base_url = request.build_absolute_uri("/").rstrip("/")
        for item in feed.items:
            item["content"] = absolutize(item["content"], base_url)
        return feed

    def title(self, obj=None) -> str:
        return settings.SITE_NAME

    def link(self, obj=None) -> str:
        return "/"

    def notes(self, obj=None) -> QuerySet[Note]:
        return Note.objects.published()

    def items(self, obj=None) -> list[Note]:
        return list(
            self.notes(obj)
            .select_related("category", "author")
            .defer(*FEED_UNREAD)[: settings.FEED_ITEMS]
        )

    def item_title(self, item: Note) -> str:
        return item.title

    def item_description(self, item: Note) -> str:
        return item.excerpt

    def item_author_name(self, item: Note) -> str:
        return item.author_name or settings.SITE_NAME

    def item_pubdate(self, item: Note):
        return item.published_at

    def item_updateddate(self, item: Note):
        return max(item.updated_at, item.published_at)

    def item_categories(self, item: Note) -> list[str]:
        return [item.category.name, *(name for name, _slug in item.tag_data)]

    def item_extra_kwargs(self, item: Note) -> dict:
        # Feed readers have no math.css: math's layout classes travel as inline styles, written
        # on save (Note.feed_html).
        return {"content": item.feed_html, "lang": item.lang}


class LatestNotesAtomFeed(LatestNotesFeed):
    feed_type = ContentAtomFeed
    subtitle = LatestNotesFeed.description


class CategoryFeed(LatestNotesFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Category:
        return get_object_or_404(Category, slug=slug)

    def title(self, obj: Category) -> str:
        return f"{obj.name} · {settings.SITE_NAME}"

    def link(self, obj: Category) -> str:
        return obj.get_absolute_url()

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
        return reverse("notes:tag", kwargs={"slug": obj.slug})

    def description(self, obj: Tag) -> str:
        return f"{settings.SITE_DESCRIPTION} #{obj.name}"

    def notes(self, obj: Tag) -> QuerySet[Note]:
        return Note.objects.published().filter(tags=obj)


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

    def title(self, obj: search.Query) -> str:
        return f"“{obj.text}” · {settings.SITE_NAME}"

    def link(self, obj: search.Query) -> str:
        return f"{reverse('notes:search')}?{urlencode({'q': obj.text})}"

    def description(self, obj: search.Query) -> str:
        return f"{settings.SITE_DESCRIPTION} “{obj.text}”"

    def items(self, obj: search.Query) -> list[Note]:
        found = search.search(
            obj, Note.objects.published(), order="newest", offset=0, limit=settings.FEED_ITEMS
        )
        by_id = (
            Note.objects.select_related("category", "author").defer(*FEED_UNREAD).in_bulk(found.ids)
        )
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
        return obj.get_absolute_url()

    def description(self, obj: Series) -> str:
        return obj.description or settings.SITE_DESCRIPTION

    def notes(self, obj: Series) -> QuerySet[Note]:
        return Note.objects.published().filter(series=obj)


class SeriesAtomFeed(SeriesFeed):
    feed_type = ContentAtomFeed

    def subtitle(self, obj: Series) -> str:
        return self.description(obj)
