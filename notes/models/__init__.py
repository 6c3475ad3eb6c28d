"""The notes app's models, by concern: the note, its papers and figures, links between
notes, categories, series and tags, and what the site keeps for readers."""

from notes.models.links import NoteLink, OldName
from notes.models.note import (
    Note,
    NoteQuerySet,
    derived_once,
    rerender_linking_notes,
)
from notes.models.papers import Figure, NotePaper, Paper, PaperFinding
from notes.models.rendered import RenderedBody, limit_message
from notes.models.sharing import PreviewLink
from notes.models.site import SearchDocument, SiteState, TagCount
from notes.models.taxonomy import Category, Series, TagAlias, make_slug, unique_slug
from notes.models.updates import NoteUpdate

__all__ = [
    "Category",
    "Figure",
    "Note",
    "NoteLink",
    "NotePaper",
    "NoteQuerySet",
    "NoteUpdate",
    "OldName",
    "Paper",
    "PaperFinding",
    "PreviewLink",
    "RenderedBody",
    "SearchDocument",
    "Series",
    "SiteState",
    "TagAlias",
    "TagCount",
    "derived_once",
    "limit_message",
    "make_slug",
    "rerender_linking_notes",
    "unique_slug",
]  # fmt: skip
