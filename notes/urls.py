"""The reader's addresses: pages, feeds, search, sitemaps and shared previews."""

from django.urls import path, register_converter

from notes import feeds, views
from notes.converters import MonthConverter, UnicodeSlugConverter, YearConverter
from notes.delivery.caching import public
from notes.views.favicon import favicon
from notes.views.sharing import SharedPreviewView

register_converter(UnicodeSlugConverter, "uslug")
register_converter(YearConverter, "year")
register_converter(MonthConverter, "month")

app_name = "notes"

urlpatterns = [
    path("", public(views.NoteListView.as_view()), name="list"),
    path("notes/<uslug:slug>/", public(views.NoteDetailView.as_view()), name="detail"),
    path("notes/<uslug:slug>/papers/<int:pk>.bib", public(views.old_paper_bibtex), name="bibtex"),
    path("notes/<uslug:slug>/cite.bib", public(views.note_bibtex), name="note-bibtex"),
    path(
        "notes/<uslug:slug>/references.bib",
        public(views.note_references_bibtex),
        name="note-references-bibtex",
    ),
    path("papers/", public(views.PaperListView.as_view()), name="papers"),
    path("papers/<path:ident>/cite.bib", public(views.paper_bibtex), name="paper-bibtex"),
    path("papers/<path:ident>/", public(views.PaperDetailView.as_view()), name="paper"),
    path("preview/<int:pk>/", views.NotePreviewView.as_view(), name="preview"),
    # A link an editor shared: signed, expiring, revocable; never cached (notes.views.sharing).
    path("preview/<str:token>/", SharedPreviewView.as_view(), name="shared-preview"),
    path("category/", public(views.CategoryListView.as_view()), name="categories"),
    path("category/<uslug:slug>/", public(views.CategoryNoteListView.as_view()), name="category"),
    path("tag/", public(views.TagListView.as_view()), name="tags"),
    path("archive/", public(views.ArchiveView.as_view()), name="archive"),
    path("archive/<year:year>/", public(views.ArchivePeriodView.as_view()), name="year"),
    path(
        "archive/<year:year>/<month:month>/",
        public(views.ArchivePeriodView.as_view()),
        name="month",
    ),
    path("tag/<uslug:slug>/", public(views.TagNoteListView.as_view()), name="tag"),
    path("series/", public(views.SeriesListView.as_view()), name="series-list"),
    path("series/<uslug:slug>/", public(views.SeriesDetailView.as_view()), name="series-detail"),
    path("series/<uslug:slug>/feed/", public(feeds.SeriesFeed()), name="series-feed"),
    path("series/<uslug:slug>/feed/atom/", public(feeds.SeriesAtomFeed()), name="series-feed-atom"),
    path("search/", public(views.SearchView.as_view()), name="search"),
    path("search/feed/", public(feeds.SearchFeed()), name="search-feed"),
    path("search/feed/atom/", public(feeds.SearchAtomFeed()), name="search-feed-atom"),
    path("opensearch.xml", public(views.opensearch), name="opensearch"),
    # Where browsers look for an icon unasked (the pages link static/favicon.svg).
    path("favicon.ico", favicon, name="favicon"),
    path("updates/", public(views.UpdateListView.as_view()), name="updates"),
    path("updates/feed/", public(feeds.UpdatesFeed()), name="updates-feed"),
    path("updates/feed/atom/", public(feeds.UpdatesAtomFeed()), name="updates-feed-atom"),
    path("feed/", public(feeds.LatestNotesFeed()), name="feed"),
    path("feed/atom/", public(feeds.LatestNotesAtomFeed()), name="feed-atom"),
    path("category/<uslug:slug>/feed/", public(feeds.CategoryFeed()), name="category-feed"),
    path(
        "category/<uslug:slug>/feed/atom/",
        public(feeds.CategoryAtomFeed()),
        name="category-feed-atom",
    ),
    path("tag/<uslug:slug>/feed/", public(feeds.TagFeed()), name="tag-feed"),
    path("tag/<uslug:slug>/feed/atom/", public(feeds.TagAtomFeed()), name="tag-feed-atom"),
]
