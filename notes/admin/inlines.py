"""The note form's inlines (its papers, figures and update log) and the form kept when a
figure cannot be stored."""

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from notes import figures
from notes.models import Figure, NotePaper, NoteUpdate


class PaperLinkFormSet(forms.BaseInlineFormSet):
    @classmethod
    def get_default_prefix(cls) -> str:
        # The form's fields keep the names they had when papers were edited inline.
        return "papers"


class PaperInline(admin.TabularInline):
    """The papers the note summarises: each one a shared record, chosen by title, arXiv id or
    DOI, or added (and filled in from its identifier) with the + beside the field."""

    model = NotePaper
    formset = PaperLinkFormSet
    fields = ("paper", "position")
    autocomplete_fields = ("paper",)
    extra = 1


class NoteUpdateInline(admin.TabularInline):
    """The note's update log, to correct or remove a line; new lines come from the note
    form's "substantive change" field as the note is saved."""

    model = NoteUpdate
    fields = ("made_at", "summary")
    extra = 0
    classes = ("collapse",)


# Set on the request when a figure could not be written; the form is shown again with it.
FIGURE_STORAGE_ERROR = "_figure_storage_error"


class FigureFormSet(forms.BaseInlineFormSet):
    storage_error = ""

    def clean(self) -> None:
        """After a failed write (see ``FigureUploadErrorsMixin``), the reason goes on each
        new upload's image field, where the editor picks the file again."""
        super().clean()
        if not self.storage_error:
            return
        uploads = [form for form in self.forms if "image" in form.changed_data]
        for form in uploads:
            form.add_error("image", self.storage_error)
        if not uploads:
            raise forms.ValidationError(self.storage_error)


class FigureInline(admin.TabularInline):
    model = Figure
    formset = FigureFormSet
    extra = 1
    classes = ("figure-inline",)
    fields = ("image", "alt", "caption", "thumbnail", "snippet")
    readonly_fields = ("thumbnail", "snippet")

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "image":
            field.help_text = figures.help_text()  # with this site's DJANGO_MAX_UPLOAD_MB
            # The uploaded name is never stored (figure_upload_to): its length does not matter.
            field.max_length = None
        return field

    def get_formset(self, request: HttpRequest, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        error = getattr(request, FIGURE_STORAGE_ERROR, "")
        if error:
            formset = type(formset.__name__, (formset,), {"storage_error": error})
        return formset

    @admin.display(description=_("preview"))
    def thumbnail(self, obj: Figure) -> str:
        if not obj.pk:
            return "—"
        return format_html('<img class="figure-thumb" src="{}" alt="{}">', obj.image.url, obj.alt)

    @admin.display(description=_("Markdown to paste into the body"))
    def snippet(self, obj: Figure) -> str:
        if not obj.pk:
            return _("Saved figures show a snippet here.")
        return format_html(
            '<input class="figure-snippet" type="text" readonly value="{}" aria-label="{}">',
            obj.markdown,
            _("Markdown snippet"),
        )


class FigureUploadErrorsMixin:
    """A figure that cannot be written (disk full, read-only media folder) rolls back the
    whole save, as any error in the admin's transaction does, and the files of the other
    figures written before it are removed. Instead of an error page the editor gets the form
    back, with everything typed in it and the reason on the image field."""

    def changeform_view(
        self, request: HttpRequest, object_id=None, form_url="", extra_context=None
    ) -> HttpResponse:
        try:
            with figures.discarded_on_failure():
                return super().changeform_view(request, object_id, form_url, extra_context)
        except figures.FigureNotStored as exc:
            figures.logger.error("A figure upload could not be stored: %s", exc)
            setattr(request, FIGURE_STORAGE_ERROR, str(figures.FigureNotStored.message))
            # The same submission again: now invalid, so it is shown, not saved.
            return super().changeform_view(request, object_id, form_url, extra_context)
