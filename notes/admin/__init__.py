"""The editors' admin, by concern: the note admin with its form and inlines, the papers
admin, and the categories, series and tags admins. Importing this package registers them all."""

from notes.admin.forms import NoteAdminForm, editor_messages
from notes.admin.inlines import (
    FIGURE_STORAGE_ERROR,
    FigureFormSet,
    FigureInline,
    FigureUploadErrorsMixin,
    PaperInline,
)
from notes.admin.note import NoteAdmin
from notes.admin.papers import PaperAdmin
from notes.admin.taxonomy import (
    CategoryAdmin,
    SeriesAdmin,
    SeriesPartInline,
    TagAdmin,
    TagAliasInline,
)
from notes.forms import PaperForm

__all__ = [
    "FIGURE_STORAGE_ERROR",
    "CategoryAdmin",
    "FigureFormSet",
    "FigureInline",
    "FigureUploadErrorsMixin",
    "NoteAdmin",
    "NoteAdminForm",
    "PaperAdmin",
    "PaperForm",
    "PaperInline",
    "SeriesAdmin",
    "SeriesPartInline",
    "TagAdmin",
    "TagAliasInline",
    "editor_messages",
]
