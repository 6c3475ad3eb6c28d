"""Two editors on one note: the second save never silently overwrites the first.

The note form carries the version the editor started from — the note's ``updated_at`` to the
microsecond, in a hidden field (no column of its own: every save moves ``updated_at``, while
re-rendering and derived data leave it alone). A save whose version is no longer the note's
is refused: the form shows the note as it is saved now beside the editor's own text, which
stays in the form, and from then on carries the new version, so saving again — after
merging — replaces the other editor's text on purpose, not by accident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django import forms
from django.contrib.admin.utils import quote
from django.db import transaction
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from notes import revisions
from notes.models import Note
from notes.rendering import normalize_source

FIELD = "edit_version"


def edit_version(value: datetime) -> str:
    """A note's version as the form carries it: exact, whatever the database's time zone."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass
class EditConflict:
    """The note as another editor saved it while this form was open."""

    title: str
    summary: str
    body: str
    saved_at: str
    saved_by: str
    history_url: str
    # Line diff from the saved body to the body in the form.
    diff: list[revisions.DiffLine]


def saved_by(note: Note) -> str:
    """Who saved the note last, from its newest revision."""
    version = revisions.note_versions(note).last()
    user = version.revision.user if version is not None else None
    if user is None:
        return _("another editor")
    return user.get_full_name() or user.get_username()


def check(form: forms.ModelForm) -> EditConflict | None:
    """Refuse the form's save when the note changed since the form was opened.

    Raises the ValidationError the form shows, after pointing the form at the note's current
    version. A form without a version (an older page, a script) is not checked."""
    if form.instance.pk is None:
        return None
    sent = form.data.get(form.add_prefix(FIELD), "")
    if not sent:
        return None
    notes = Note.objects.filter(pk=form.instance.pk)
    if transaction.get_connection().in_atomic_block:
        # The admin saves in a transaction: hold the row until this save commits, so two
        # saves of one version cannot both pass (PostgreSQL; SQLite has one writer anyway).
        notes = notes.select_for_update()
    current = notes.first()
    if current is None or sent == edit_version(current.updated_at):
        return None
    parsed = parse_datetime(sent)
    if parsed is not None and parsed == current.updated_at:
        return None
    data = form.data.copy()
    data[form.add_prefix(FIELD)] = edit_version(current.updated_at)
    form.data = data
    conflict = EditConflict(
        title=current.title,
        summary=current.summary,
        body=current.body,
        saved_at=revisions.format_date(current.updated_at),
        saved_by=saved_by(current),
        history_url=reverse("admin:notes_note_history", args=[quote(current.pk)]),
        diff=revisions.body_diff(
            current.body, normalize_source(form.data.get(form.add_prefix("body"), ""))
        ),
    )
    form.conflict = conflict
    raise forms.ValidationError(
        _(
            "%(who)s saved this note at %(when)s, after you opened it. Nothing was saved: "
            "your text is still in the form below, and the note as it is saved now is shown "
            "above it. Take what you need from it, then save again to replace it."
        )
        % {"who": conflict.saved_by, "when": conflict.saved_at},
        code="edit_conflict",
    )
