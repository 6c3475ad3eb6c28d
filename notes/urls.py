from django.urls import path, register_converter

from notes import feeds, views
from notes.converters import MonthConverter, UnicodeSlugConverter, YearConverter

register_converter(UnicodeSlugConverter, "uslug")
register_converter(YearConverter, "year")
register_converter(MonthConverter, "month")

app_name = "notes"

urlpatterns = [
    path("", views.NoteListView.as_view(), name="list"),
    path("notes/<uslug:slug>/", views.NoteDetailView.as_view(), name="detail"),
    path("notes/<uslug:slug>/papers/<int:pk>.bib", views.paper_bibtex, name="bibtex"),
    path("preview/<int:pk>/", views.NotePreviewView.as_view(), name="preview"),
    path("category/", views.CategoryListView.as_view(), name="categories"),
    path("category/<uslug:slug>/", views.CategoryNoteListView.as_view(), name="category"),
    path("tag/", views.TagListView.as_view(), name="tags"),
    path("archive/", views.ArchiveView.as_view(), name="archive"),
    path("archive/<year:year>/", views.ArchivePeriodView.as_view(), name="year"),
    path(
        "archive/<year:year>/<month:month>/",
        views.ArchivePeriodView.as_view(),
        name="month",
    ),
    path("tag/<uslug:slug>/", views.TagNoteListView.as_view(), name="tag"),
    path("series/", views.SeriesListView.as_view(), name="series-list"),
    path("series/<uslug:slug>/", views.SeriesDetailView.as_view(), name="series-detail"),
    path("series/<uslug:slug>/feed/", feeds.SeriesFeed(), name="series-feed"),
    path("series/<uslug:slug>/feed/atom/", feeds.SeriesAtomFeed(), name="series-feed-atom"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("search/feed/", feeds.SearchFeed(), name="search-feed"),
    path("search/feed/atom/", feeds.SearchAtomFeed(), name="search-feed-atom"),
    path("opensearch.xml", views.opensearch, name="opensearch"),
    path("feed/", feeds.LatestNotesFeed(), name="feed"),
    path("feed/atom/", feeds.LatestNotesAtomFeed(), name="feed-atom"),
    path("category/<uslug:slug>/feed/", feeds.CategoryFeed(), name="category-feed"),
    path("category/<uslug:slug>/feed/atom/", feeds.CategoryAtomFeed(), name="category-feed-atom"),
    path("tag/<uslug:slug>/feed/", feeds.TagFeed(), name="tag-feed"),
    path("tag/<uslug:slug>/feed/atom/", feeds.TagAtomFeed(), name="tag-feed-atom"),
]
