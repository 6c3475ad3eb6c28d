"""The note form: the version being edited (the two-editors check) and its scripts' words."""

from django import forms
from django.utils.translation import gettext_lazy as _

from notes import locking
from notes.models import Note


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
    }


class NoteAdminForm(forms.ModelForm):
    # The version the editor started from: a save over a newer one is refused with both
    # texts shown (notes/locking.py).
    edit_version = forms.CharField(
        label=_("version being edited"), widget=forms.HiddenInput, required=False
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.conflict: locking.EditConflict | None = None
        if self.instance.pk is not None and self.instance.updated_at is not None:
            self.fields["edit_version"].initial = locking.edit_version(self.instance.updated_at)

    def clean(self) -> dict:
        cleaned_data = super().clean()
        locking.check(self)
        return cleaned_data

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
