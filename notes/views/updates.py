"""``/updates/``: the substantive updates of published notes, newest first, site-wide."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext
from django.views.generic import ListView

from notes.chrome import feed_links
from notes.models import Note, NoteUpdate
from notes.views.lists import PagesMixin


def public_updates() -> QuerySet[NoteUpdate]:
    """Updates readers may see: only of notes ``published()`` lets through."""
    return (
        NoteUpdate.objects.filter(note__in=Note.objects.published())
        .select_related("note")
        .only("made_at", "summary", "note__slug", "note__title", "note__lang")
    )


class UpdateListView(PagesMixin, ListView):
    template_name = "notes/update_list.html"
    context_object_name = "updates"
    paginate_by = settings.NOTES_PER_PAGE

    def get_queryset(self) -> QuerySet[NoteUpdate]:
        return public_updates()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["feeds"] = feed_links(
            f"{settings.SITE_NAME} · {gettext('Updates')}",
            reverse("notes:updates-feed"),
            reverse("notes:updates-feed-atom"),
        )
        return context
