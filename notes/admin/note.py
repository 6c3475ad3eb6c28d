"""The note admin: the form with live preview, bulk publishing and revision history
(compare, restore, revert, recover)."""

import json
from itertools import pairwise

import reversion
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST
from reversion.admin import VersionAdmin
from reversion.models import Version

from notes import revisions
from notes.admin.completion import TitleCompletionMixin, completion_messages
from notes.admin.forms import NoteAdminForm, editor_messages
from notes.admin.inlines import (
    FigureInline,
    FigureUploadErrorsMixin,
    NoteUpdateInline,
    PaperInline,
)
from notes.admin.pasting import FigurePastingMixin
from notes.admin.sharing import PreviewLinkInline
from notes.models import Note, NoteUpdate, derived_once
from notes.rendering import render_markdown
from notes.rendering.editor_warnings import translated, warning_line

# Warnings shown as messages after a save; the preview beside the body lists every one.
SHOWN_WARNINGS = 20


@admin.register(Note)
class NoteAdmin(FigureUploadErrorsMixin, TitleCompletionMixin, FigurePastingMixin, VersionAdmin):
    form = NoteAdminForm
    inlines = (PaperInline, FigureInline, NoteUpdateInline, PreviewLinkInline)
    list_display = ("title", "category", "status_label", "published_at", "tag_list")
    list_filter = ("status", "category", "series", "tags")
    list_select_related = ("category",)
    search_fields = ("title", "slug", "summary", "body")
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("created_at", "updated_at")
    actions = ("publish", "unpublish")
    # Revision history (django-reversion): newest first, with compare and one-click restore.
    object_history_template = "admin/notes/note/object_history.html"
    history_latest_first = True
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "title",
                    "short_title",
                    "slug",
                    "category",
                    "tags",
                    "body",
                    "edit_version",
                )
            },
        ),
        (
            _("Publishing"),
            {
                "fields": (
                    "status",
                    "published_at",
                    "author",
                    "summary",
                    "language",
                    ("series", "series_position"),
                ),
                "description": _(
                    "Publish now: set Status to Published and leave the publish date blank. "
                    "Schedule: set a future publish date; readers see the note from then on."
                ),
            },
        ),
        (_("History"), {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )

    def get_fieldsets(self, request: HttpRequest, obj: Note | None = None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not obj.is_public:
            return fieldsets
        # A published note: what changed, for readers, beside the save buttons' fieldsets.
        log = (_("Update log"), {"fields": ("update_summary",)})
        return (*fieldsets[:2], log, *fieldsets[2:])

    class Media:
        css = {
            "all": (
                "admin/notes-admin.css",
                "css/pygments.css",
                "admin/note-complete.css",
                "admin/note-paste.css",
            )
        }
        js = (
            "admin/textarea-mirror.js",  # first: the two after it measure with it
            "admin/note-preview.js",
            "admin/note-autosave.js",
            "admin/note-complete.js",
            "admin/note-shortcuts.js",
            "admin/note-paste.js",
        )

    def get_urls(self):
        preview = self.admin_site.admin_view(require_POST(self.preview_view))
        preview_frame = self.admin_site.admin_view(self.preview_frame_view)
        compare = self.admin_site.admin_view(self.compare_view)
        restore = self.admin_site.admin_view(require_POST(self.restore_view))
        return [
            path("preview/", preview, name="notes_note_preview"),
            path("preview/frame/", preview_frame, name="notes_note_preview_frame"),
            path("<path:object_id>/history/compare/", compare, name="notes_note_compare"),
            path(
                "<path:object_id>/history/<int:version_id>/restore/",
                restore,
                name="notes_note_restore",
            ),
            *super().get_urls(),
        ]

    def get_form(self, request: HttpRequest, obj: Note | None = None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "body" not in form.base_fields:  # a view-only editor: every field is read-only
            return form
        # The live preview script finds its endpoint (and the note, for figure sizes) here.
        form.base_fields["body"].widget.attrs.update(
            {
                "data-preview-url": reverse("admin:notes_note_preview"),
                "data-preview-frame-url": reverse("admin:notes_note_preview_frame"),
                "data-note-id": str(obj.pk) if obj else "",
                "data-messages": json.dumps(editor_messages()),
                # [[ completion: note titles as the editor types (notes/admin/completion.py).
                "data-titles-url": reverse("admin:notes_note_titles"),
                "data-completion-messages": json.dumps(completion_messages()),
                # Images pasted or dropped into the body (notes/admin/pasting.py).
                **self.paste_attrs(obj),
            }
        )
        if obj is None or not obj.is_public:
            # Only a note readers already see has an update log (get_fieldsets).
            form.base_fields.pop("update_summary", None)
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
                # In the admin's language, each with the line of the body it is about.
                "warnings": [
                    {"text": str(translated(warning)), "line": warning_line(warning)}
                    for warning in result.warnings
                ],
                "reading_minutes": result.reading_minutes,
            }
        )

    @method_decorator(xframe_options_sameorigin)
    def preview_frame_view(self, request: HttpRequest) -> HttpResponse:
        """The empty reader page the live preview fills in: the site's own stylesheets in a
        document of its own, so no admin rule (blue heading bars, admin fonts) reaches it.
        Framed by the note form only, under the readers' strict CSP."""
        if not (self.has_change_permission(request) or self.has_add_permission(request)):
            raise PermissionDenied
        response = TemplateResponse(request, "admin/notes/note/preview_frame.html")
        response.headers["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY.replace(
            "frame-ancestors 'none'", "frame-ancestors 'self'"
        )
        return response

    def get_queryset(self, request: HttpRequest) -> QuerySet[Note]:
        return super().get_queryset(request).prefetch_related("tags")

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        return {"author": request.user.pk, **super().get_changeform_initial_data(request)}

    @admin.display(description=_("tags"))
    def tag_list(self, obj: Note) -> str:
        return ", ".join(tag.name for tag in obj.tags.all())

    @admin.display(description=_("status"), ordering="status")
    def status_label(self, obj: Note) -> str:
        if obj.is_scheduled:
            when = f"{timezone.localtime(obj.published_at):%Y-%m-%d %H:%M}"
            return _("Scheduled (%(when)s)") % {"when": when}
        return obj.get_status_display()

    def view_on_site(self, obj: Note) -> str:
        # Drafts and scheduled notes have no public page yet: staff get the preview.
        if obj.is_public:
            return obj.get_absolute_url()
        return reverse("notes:preview", kwargs={"pk": obj.pk})

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        note = form.instance
        # Tags, papers and figures each change what the note stores besides its body: written
        # once, when they are all in.
        with derived_once():
            super().save_related(request, form, formsets, change)
            if summary := form.cleaned_data.get("update_summary"):
                NoteUpdate.objects.create(note=note, summary=summary)
            # Figures are saved after the note: render again so images get their width/height.
            if note.figures.exists():
                note.rerender()
        # The revision holds the note as saved, with the tags and papers saved after it.
        revisions.add_note_to_revision(note)
        # A link repeated on thousands of lines warns on each: the form shows the first few,
        # and the preview lists them all.
        for warning in note.render_warnings[:SHOWN_WARNINGS]:
            text, line = translated(warning), warning_line(warning)
            if line is None:
                messages.warning(request, f"{note.title}: {text}")
            else:
                shown = {"title": note.title, "line": line, "warning": text}
                messages.warning(request, _("%(title)s (line %(line)s): %(warning)s") % shown)
        if (more := len(note.render_warnings) - SHOWN_WARNINGS) > 0:
            messages.warning(
                request,
                ngettext(
                    "%(count)d more warning: the preview lists them all.",
                    "%(count)d more warnings: the preview lists them all.",
                    more,
                )
                % {"count": more},
            )

    @admin.action(description=_("Publish selected notes"), permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Note]) -> None:
        count = self._set_status(
            queryset,
            Note.Status.PUBLISHED,
            user=request.user,
            comment=gettext("Published via bulk action"),
        )
        self.message_user(
            request,
            ngettext("%d note published.", "%d notes published.", count) % count,
            messages.SUCCESS,
        )

    @admin.action(description=_("Unpublish selected notes (back to draft)"), permissions=["change"])
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Note]) -> None:
        count = self._set_status(
            queryset,
            Note.Status.DRAFT,
            user=request.user,
            comment=gettext("Unpublished via bulk action"),
        )
        self.message_user(
            request,
            ngettext("%d note moved to drafts.", "%d notes moved to drafts.", count) % count,
            messages.SUCCESS,
        )

    @staticmethod
    def _set_status(queryset: QuerySet[Note], status: str, *, user=None, comment: str = "") -> int:
        # save() per note rather than queryset.update(), so every save-time hook
        # (rendering, revisions; cache invalidation later) sees the change.
        changed = 0
        for note in queryset.exclude(status=status):
            # One revision per note: restoring one note must never revert another.
            with reversion.create_revision():
                note.status = status
                note.save(update_fields=["status"])
                reversion.set_user(user)
                reversion.set_comment(comment)
            changed += 1
        return changed

    # --- Revision history ------------------------------------------------------------------

    def changelist_view(self, request: HttpRequest, extra_context=None):
        # VersionAdmin wraps the whole changelist request in one revision, which would put
        # every note of a bulk action in the same revision; _set_status makes one per note.
        context = {"has_change_permission": self.has_change_permission(request)}
        context.update(extra_context or {})
        return admin.ModelAdmin.changelist_view(self, request, context)

    def _note_or_404(self, request: HttpRequest, object_id: str) -> Note:
        note = self.get_object(request, unquote(object_id))
        if note is None:
            raise Http404("No such note.")
        return note

    def history_view(self, request: HttpRequest, object_id: str, extra_context=None):
        note = self.get_object(request, unquote(object_id))
        if note is None:  # the admin's own "perhaps it was deleted" redirect
            return super().history_view(request, object_id, extra_context)
        versions = list(revisions.note_versions(note))
        previous = {newer.pk: older.pk for older, newer in pairwise(versions)}
        current = versions[-1].pk if versions else None
        can_change = self.has_change_permission(request, note)
        compare_url = reverse("admin:notes_note_compare", args=[quote(note.pk)])
        action_list = [
            {
                "revision": version.revision,
                "version": version,
                "url": reverse("admin:notes_note_revision", args=[quote(note.pk), version.pk]),
                "is_current": version.pk == current,
                "compare_url": (
                    f"{compare_url}?from={previous[version.pk]}&to={version.pk}"
                    if version.pk in previous
                    else ""
                ),
                "restore_url": reverse(
                    "admin:notes_note_restore", args=[quote(note.pk), version.pk]
                ),
                "version_publication": revisions.version_publication(version),
            }
            for version in (reversed(versions) if self.history_latest_first else versions)
        ]
        context = {
            "action_list": action_list,
            "current_publication": revisions.publication_label(note.status, note.published_at),
            "can_change": can_change,
            "compare_url": compare_url,
            "default_from": versions[-2].pk if len(versions) > 1 else None,
            "default_to": current,
            **(extra_context or {}),
        }
        return super().history_view(request, object_id, context)

    def compare_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Two versions of a note side by side: changed metadata and a line diff of the body."""
        note = self._note_or_404(request, object_id)
        if not self.has_change_permission(request, note):
            raise PermissionDenied
        versions = list(revisions.note_versions(note))
        if not versions:
            messages.info(request, gettext("This note has no saved versions yet."))
            return redirect("admin:notes_note_history", quote(note.pk))
        by_pk = {str(version.pk): version for version in versions}

        def chosen(name: str) -> Version | None:
            value = request.GET.get(name, "")
            if value and value not in by_pk:
                raise Http404("No such version of this note.")
            return by_pk.get(value)

        # ?to= alone (or nothing) compares a version with the one before it.
        newer = chosen("to") or versions[-1]
        older = chosen("from")
        if older is None and (index := versions.index(newer)):
            older = versions[index - 1]
        if older is not None and older.pk > newer.pk:
            older, newer = newer, older
        old_state, new_state = revisions.note_state(older), revisions.note_state(newer)
        diff = revisions.body_diff(old_state.body, new_state.body)
        opts = self.opts
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Compare versions of “%(note)s”") % {"note": note},
            "subtitle": None,
            "opts": opts,
            "app_label": opts.app_label,
            "original": note,
            "object_id": object_id,
            "older": older,
            "newer": newer,
            "current_pk": versions[-1].pk,
            "changes": revisions.changed_fields(old_state, new_state),
            "diff": diff,
            "added": sum(line.kind == "added" for line in diff),
            "removed": sum(line.kind == "removed" for line in diff),
            "history_url": reverse("admin:notes_note_history", args=[quote(note.pk)]),
            "restore_older_url": older
            and reverse("admin:notes_note_restore", args=[quote(note.pk), older.pk]),
            "restore_newer_url": reverse(
                "admin:notes_note_restore", args=[quote(note.pk), newer.pk]
            ),
            "current_publication": revisions.publication_label(note.status, note.published_at),
            "older_publication": older and revisions.version_publication(older),
            "newer_publication": revisions.version_publication(newer),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/notes/note/revision_compare.html", context)

    def restore_view(self, request: HttpRequest, object_id: str, version_id: int) -> HttpResponse:
        """One click: the note goes back to this version, as a new revision that can be undone."""
        note = self._note_or_404(request, object_id)
        if not self.has_change_permission(request, note):
            raise PermissionDenied
        version = get_object_or_404(revisions.note_versions(note), pk=version_id)
        publication = request.POST.get("publication") == "1"
        try:
            note = revisions.restore(version, user=request.user, publication=publication)
        except revisions.RestoreError as exc:
            messages.error(request, str(exc))
            return redirect("admin:notes_note_history", quote(note.pk))
        when = revisions.format_date(version.revision.date_created)
        self.log_change(request, note, gettext("Restored version from %(when)s") % {"when": when})
        state = revisions.publication_label(note.status, note.published_at)
        if publication:
            outcome = gettext("Its publication state was restored too: %(state)s.")
        else:
            outcome = gettext("Its publication state is unchanged: %(state)s.")
        restored = gettext("The content of “%(note)s” was restored from the version of %(when)s.")
        messages.success(
            request,
            f"{restored % {'note': note, 'when': when}} {outcome % {'state': state}}",
        )
        return redirect("admin:notes_note_change", quote(note.pk))

    def _revert_through_form(self, request: HttpRequest, version: Version, view) -> HttpResponse:
        """Reversion's revert and recover forms, with the revision's tags made to exist first
        and, once saved, links from other notes rendered again."""
        note_before = Note.objects.filter(pk=version.object_id).first()
        with transaction.atomic(using=version.db):
            revisions.ensure_tags(version.revision)
            response = view()
            saved = request.method == "POST" and response.status_code == 302
            if not saved:  # only a look at the form: keep nothing, not even recreated tags
                transaction.set_rollback(True, using=version.db)
        note = Note.objects.filter(pk=version.object_id).first() if saved else None
        if note is not None:
            revisions.after_restore(note, revisions.note_names(note_before))
        return response

    def recover_view(self, request: HttpRequest, version_id, extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        version = get_object_or_404(Version.objects.get_deleted(Note), pk=version_id)
        return self._revert_through_form(
            request,
            version,
            lambda: super(NoteAdmin, self).recover_view(request, version_id, extra_context),
        )

    def revision_view(self, request: HttpRequest, object_id, version_id, extra_context=None):
        version = get_object_or_404(
            Version.objects.get_for_model(Note), pk=version_id, object_id=unquote(object_id)
        )
        return self._revert_through_form(
            request,
            version,
            lambda: super(NoteAdmin, self).revision_view(
                request, object_id, version_id, extra_context
            ),
        )
