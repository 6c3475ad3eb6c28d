from django import forms
from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from notes.models import Category, Note


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


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    form = NoteAdminForm
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
        css = {"all": ("admin/notes-admin.css",)}

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

    def save_model(self, request: HttpRequest, obj: Note, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        for warning in obj.render_warnings:
            messages.warning(request, f"{obj.title}: {warning}")

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
