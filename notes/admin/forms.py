"""The note form: the version being edited (the two-editors check) and its scripts' words."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notes import locking
from notes.models import Note
from notes.models.updates import SUMMARY_LENGTH


def editor_messages() -> dict[str, str]:
    """The words the note form's scripts show, in the admin's language."""
    return {
        "preview": str(_("Preview as readers see it")),
        "rendering": str(_("Rendering…")),
        "rendered": str(_("Preview · %(time)s")),
        "unavailable": str(_("Preview unavailable (%(reason)s). Your text is safe in the editor.")),
        "offline": str(_("offline?")),
        "kept": str(
            _(
                "This browser kept a version of this note that was not saved (%(time)s). "
                "Restore it to continue where you left off, or discard it."
            )
        ),
        "restore": str(_("Restore unsaved text")),
        "discard": str(_("Discard it")),
        # A preview warning, a button that selects its line in the body.
        "warningAt": str(_("Line %(line)s: %(warning)s")),
        "goToLine": str(_("Select line %(line)s in the body")),
    }


class NoteAdminForm(forms.ModelForm):
    # The version the editor started from: a save over a newer one is refused with both
    # texts shown (notes/locking.py).
    edit_version = forms.CharField(
        label=_("version being edited"), widget=forms.HiddenInput, required=False
    )

    # Not a note field: saving a published note with it writes a line to its update log.
    update_summary = forms.CharField(
        label=_("Substantive change"),
        max_length=SUMMARY_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"class": "vLargeTextField"}),
        help_text=_(
            "One line readers and subscribers see (“修正了公式 (3) 的符号”): the note shows "
            "it, /updates/ lists it, feeds mark the note updated. Leave it empty for a typo "
            "fix: nothing changes for them."
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.conflict: locking.EditConflict | None = None
        if self.instance.pk is not None and self.instance.updated_at is not None:
            self.fields["edit_version"].initial = locking.edit_version(self.instance.updated_at)

    def clean(self) -> dict:
        cleaned_data = super().clean()
        locking.check(self)
        if cleaned_data.get("update_summary") and not self._stays_public(cleaned_data):
            self.add_error(
                "update_summary",
                _(
                    "Only a change to a note readers can already see is logged; a draft, a "
                    "scheduled note or a first publication has no readers to tell yet."
                ),
            )
        return cleaned_data

    def _stays_public(self, cleaned_data: dict) -> bool:
        """Public before this save (the instance still holds the stored values) and after."""
        published_at = cleaned_data.get("published_at")
        return (
            self.instance.pk is not None
            and self.instance.is_public
            and cleaned_data.get("status") == Note.Status.PUBLISHED
            and (published_at is None or published_at <= timezone.now())
        )

    class Meta:
        model = Note
        fields = (
            "title", "short_title", "slug", "category", "tags", "body", "language", "status",
            "published_at", "author", "summary",
        )  # fmt: skip
        widgets = {
            "body": forms.Textarea(
                attrs={"rows": 32, "class": "markdown-editor", "spellcheck": "false"}
            ),
            "summary": forms.Textarea(attrs={"rows": 3}),
            "title": forms.TextInput(attrs={"class": "vLargeTextField"}),
        }
