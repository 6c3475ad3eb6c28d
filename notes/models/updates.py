"""The update log: substantive changes to published notes, each dated with one line."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# One line, as a commit's subject: what a reader who read the note before should know.
SUMMARY_LENGTH = 200


class NoteUpdate(models.Model):
    """A change an editor marked as substantive when saving a published note ("修正了公式 (3)
    的符号"). Readers see it on the note and at /updates/; subscribers see the note's entry
    updated. A change left unmarked (a typo) is in the revisions only."""

    note = models.ForeignKey("notes.Note", on_delete=models.CASCADE, related_name="updates")
    made_at = models.DateTimeField(_("made at"), default=timezone.now, db_index=True)
    summary = models.CharField(
        _("what changed"),
        max_length=SUMMARY_LENGTH,
        help_text=_("One line readers and subscribers see, e.g. “修正了公式 (3) 的符号”."),
    )

    class Meta:
        ordering = ("-made_at", "-pk")
        verbose_name = _("note update")
        verbose_name_plural = _("note updates")

    def __str__(self) -> str:
        return f"{timezone.localdate(self.made_at)}: {self.summary}"

    def get_absolute_url(self) -> str:
        return f"{self.note.get_absolute_url()}#update-{self.pk}"
