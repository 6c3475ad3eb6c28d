"""The pages readers see, by kind: lists, a note's page, search, and the site's own files."""

from notes.views.lists import (
    ArchivePeriodView,
    ArchiveView,
    CategoryListView,
    CategoryNoteListView,
    NoteListView,
    SeriesDetailView,
    SeriesListView,
    TagListView,
    TagNoteListView,
)
from notes.views.note import (
    NoteDetailView,
    NotePreviewView,
    note_bibtex,
    note_references_bibtex,
)
from notes.views.papers import PaperDetailView, PaperListView, old_paper_bibtex, paper_bibtex
from notes.views.search import SearchView
from notes.views.site import opensearch, robots_txt, sitemap_index
from notes.views.updates import UpdateListView

__all__ = [
    "ArchivePeriodView", "ArchiveView", "CategoryListView", "CategoryNoteListView",
    "NoteDetailView", "NoteListView", "NotePreviewView", "PaperDetailView", "PaperListView",
    "SearchView", "SeriesDetailView", "SeriesListView", "TagListView", "TagNoteListView",
    "UpdateListView", "note_bibtex", "note_references_bibtex", "old_paper_bibtex", "opensearch",
    "paper_bibtex", "robots_txt", "sitemap_index",
]  # fmt: skip
