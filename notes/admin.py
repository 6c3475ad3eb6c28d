from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, JsonResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from reversion.admin import VersionAdmin

from notes.models import Category, Figure, Note, Paper
from notes.papers import normalize_arxiv, normalize_doi
from notes.rendering import render_markdown


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "order", "note_count")
    list_editable = ("order",)
    search_fields = ("name", "description")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        return super().get_queryset(request).annotate(_note_count=Count("notes"))

    @admin.display(description="notes", ordering="_note_count")
    def note_count(self, obj: Category) -> int:
        return obj._note_count


class NoteAdminForm(forms.ModelForm):
    class Meta:
        model = Note
        fields = (
            "title", "slug", "category", "tags", "body", "status", "published_at", "author",
            "summary",
        )  # fmt: skip
        widgets = {
            "body": forms.Textarea(
                attrs={"rows": 32, "class": "markdown-editor", "spellcheck": "false"}
            ),
            "summary": forms.Textarea(attrs={"rows": 3}),
            "title": forms.TextInput(attrs={"class": "vLargeTextField"}),
        }


class PaperForm(forms.ModelForm):
    url = forms.URLField(label="Paper URL", max_length=500, required=False, assume_scheme="https")
    code_url = forms.URLField(
        label="Code URL", max_length=500, required=False, assume_scheme="https"
    )

    class Meta:
        model = Paper
        fields = ("title", "authors", "venue", "year", "url", "arxiv", "doi", "code_url")
        widgets = {"authors": forms.Textarea(attrs={"rows": 3, "cols": 30})}

    def clean_arxiv(self) -> str:
        value = self.cleaned_data["arxiv"].strip()
        if value and not normalize_arxiv(value):
            raise forms.ValidationError(
                "Not an arXiv id: use e.g. 2106.09685, arXiv:2106.09685v2 or an arxiv.org URL."
            )
        return normalize_arxiv(value)

    def clean_doi(self) -> str:
        value = self.cleaned_data["doi"].strip()
        if value and not normalize_doi(value):
            raise forms.ValidationError("Not a DOI: it starts with 10. (e.g. 10.1038/nature14236).")
        return normalize_doi(value)


class PaperInline(admin.StackedInline):
    model = Paper
    form = PaperForm
    extra = 0


class FigureInline(admin.TabularInline):
    model = Figure
    extra = 1
    fields = ("image", "alt", "caption", "thumbnail", "snippet")
    readonly_fields = ("thumbnail", "snippet")

    @admin.display(description="preview")
    def thumbnail(self, obj: Figure) -> str:
        if not obj.pk:
            return "—"
        return format_html('<img class="figure-thumb" src="{}" alt="{}">', obj.image.url, obj.alt)

    @admin.display(description="Markdown to paste into the body")
    def snippet(self, obj: Figure) -> str:
        if not obj.pk:
            return "Saved figures show a snippet here."
        return format_html(
            '<input class="figure-snippet" type="text" readonly value="{}" '
            'aria-label="Markdown snippet">',
            obj.markdown,
        )


@admin.register(Note)
class NoteAdmin(VersionAdmin):
    form = NoteAdminForm
    inlines = (PaperInline, FigureInline)
    list_display = ("title", "category", "status_label", "published_at", "tag_list")
    list_filter = ("status", "category", "tags")
    list_select_related = ("category",)
    search_fields = ("title", "slug", "summary", "body")
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("created_at", "updated_at")
    actions = ("publish", "unpublish")
    fieldsets = (
        (None, {"fields": ("title", "slug", "category", "tags", "body")}),
        ("Publishing", {"fields": ("status", "published_at", "author", "summary")}),
        ("History", {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )

    class Media:
        css = {"all": ("admin/notes-admin.css", "css/pygments.css")}
        js = ("admin/note-preview.js",)

    def get_urls(self):
        preview = self.admin_site.admin_view(require_POST(self.preview_view))
        return [
            path("preview/", preview, name="notes_note_preview"),
            *super().get_urls(),
        ]

    def get_form(self, request: HttpRequest, obj: Note | None = None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # The live preview script finds its endpoint (and the note, for figure sizes) here.
        form.base_fields["body"].widget.attrs.update(
            {
                "data-preview-url": reverse("admin:notes_note_preview"),
                "data-note-id": str(obj.pk) if obj else "",
            }
        )
        return form

    def preview_view(self, request: HttpRequest) -> JsonResponse:
        """Render unsaved Markdown through the same pipeline as saving; nothing is stored."""
        if not (self.has_change_permission(request) or self.has_add_permission(request)):
            raise PermissionDenied
        draft = Note(body=request.POST.get("body", ""))
        note_id = request.POST.get("note_id", "")
        if note_id.isdigit():
            draft.pk = int(note_id)
        result = render_markdown(draft.body, draft.render_context())
        return JsonResponse(
            {
                "html": result.html,
                "toc_html": result.toc_html,
                "warnings": list(result.warnings),
                "reading_minutes": result.reading_minutes,
            }
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Note]:
        return super().get_queryset(request).prefetch_related("tags")

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        return {"author": request.user.pk, **super().get_changeform_initial_data(request)}

    @admin.display(description="tags")
    def tag_list(self, obj: Note) -> str:
        return ", ".join(tag.name for tag in obj.tags.all())

    @admin.display(description="status", ordering="status")
    def status_label(self, obj: Note) -> str:
        if obj.is_scheduled:
            return f"Scheduled ({timezone.localtime(obj.published_at):%Y-%m-%d %H:%M})"
        return obj.get_status_display()

    def view_on_site(self, obj: Note) -> str:
        # Drafts and scheduled notes have no public page yet: staff get the preview.
        if obj.is_public:
            return obj.get_absolute_url()
        return reverse("notes:preview", kwargs={"pk": obj.pk})

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        note = form.instance
        # Figures are saved after the note: render again so images get their width/height.
        if note.figures.exists():
            note.rerender()
        for warning in note.render_warnings:
            messages.warning(request, f"{note.title}: {warning}")

    @admin.action(description="Publish selected notes", permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Note]) -> None:
        count = self._set_status(queryset, Note.Status.PUBLISHED)
        self.message_user(
            request,
            ngettext("%d note published.", "%d notes published.", count) % count,
            messages.SUCCESS,
        )

    @admin.action(description="Unpublish selected notes (back to draft)", permissions=["change"])
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Note]) -> None:
        count = self._set_status(queryset, Note.Status.DRAFT)
        self.message_user(
            request,
            ngettext("%d note moved to drafts.", "%d notes moved to drafts.", count) % count,
            messages.SUCCESS,
        )

    @staticmethod
    def _set_status(queryset: QuerySet[Note], status: str) -> int:
        # save() per note rather than queryset.update(), so every save-time hook
        # (rendering now; cache invalidation and revisions later) sees the change.
        changed = 0
        for note in queryset.exclude(status=status):
            note.status = status
            note.save(update_fields=["status"])
            changed += 1
        return changed
