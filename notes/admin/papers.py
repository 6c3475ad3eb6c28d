"""The papers admin: one record per paper, shared by the notes that summarise or cite it, with
a "Fetch details" button that fills its empty fields from arXiv or Crossref."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from reversion.admin import VersionAdmin

from notes import papercheck, paperfetch
from notes.forms import PaperForm
from notes.models import Paper, PaperFinding
from notes.papers import normalize_arxiv, normalize_doi

FETCH = "_fetch"


class PaperAdminForm(PaperForm):
    """The paper form; its Fetch button fills the empty fields from the identifier and shows
    the form again, unsaved, for the editor to check."""

    request: HttpRequest | None = None

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        if FETCH not in self.data:
            return cleaned_data
        identifier = (self.data.get("arxiv") or "").strip() or (self.data.get("doi") or "").strip()
        if not identifier:
            raise forms.ValidationError(
                gettext("Paste an arXiv id or URL, or a DOI, then fetch its details.")
            )
        try:
            details = paperfetch.fetch(identifier)
        except paperfetch.FetchError as exc:
            # The form comes back as typed: nothing is lost, and it can still be saved.
            raise forms.ValidationError(
                gettext("Details could not be fetched: %(reason)s") % {"reason": exc}
            ) from exc
        fetched = {
            name: "" if value is None else str(value)
            for name, value in paperfetch.paper_fields(details).items()
        }
        current = {name: self.data.get(name, "") for name in fetched}
        # The same id in another spelling (an arxiv.org address, a doi: prefix) is no conflict.
        current["arxiv"] = normalize_arxiv(current["arxiv"]) or current["arxiv"]
        current["doi"] = normalize_doi(current["doi"]) or current["doi"]
        filled, differing = paperfetch.fill_empty(current, fetched)
        self.data = self.data.copy()
        for name, value in filled.items():
            self.data[name] = value
            try:
                cleaned_data[name] = self.fields[name].clean(value)
            except forms.ValidationError:
                continue
            self._errors.pop(name, None)
        self._tell(filled, differing)
        raise forms.ValidationError(
            gettext("Not saved yet: check the fetched details, then save."), code="fetched"
        )

    def _tell(self, filled: dict[str, str], differing: dict[str, str]) -> None:
        if self.request is None:
            return
        label = lambda name: str(self.fields[name].label)  # noqa: E731
        if filled:
            messages.success(
                self.request,
                gettext("Filled in: %(fields)s.") % {"fields": ", ".join(map(label, filled))},
            )
        else:
            messages.info(self.request, gettext("Every field was already filled in."))
        for name, value in differing.items():
            messages.warning(
                self.request,
                gettext(
                    "%(field)s kept as you wrote it; the fetched one is: %(value)s. Empty the "
                    "field and fetch again to take it."
                )
                % {"field": label(name), "value": value[:300]},
            )


class FindingInline(admin.TabularInline):
    """What check_papers found about this paper; decided in the findings queue."""

    model = PaperFinding
    fields = ("kind", "value", "status", "found_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Paper)
class PaperAdmin(VersionAdmin):
    form = PaperAdminForm
    list_display = ("title", "year", "venue", "arxiv", "doi", "key", "note_count")
    list_filter = ("year",)
    # The note form's paper field looks papers up by these (autocomplete).
    search_fields = ("title", "authors", "arxiv", "doi", "key", "venue")

    def get_fieldsets(self, request: HttpRequest, obj: Paper | None = None):
        fetch = format_html(
            '{} <button type="submit" name="{}" value="1" class="button">{}</button>',
            gettext("Paste an arXiv id or URL, or a DOI, and fetch what it says of the paper: "
                    "empty fields are filled, yours are kept."),
            FETCH,
            gettext("Fetch details"),
        )  # fmt: skip
        return (
            (_("Identifier"), {"fields": ("arxiv", "arxiv_version", "doi"), "description": fetch}),
            (None, {"fields": ("title", "authors", "venue", "year", "published")}),
            (_("Links"), {"fields": ("url", "pdf_url", "code_url")}),
            (None, {"fields": ("abstract", "key")}),
        )

    def get_form(self, request: HttpRequest, obj: Paper | None = None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"request": request})

    inlines = (FindingInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Paper]:
        # Ordered explicitly: with the count's GROUP BY, Django drops the model's ordering,
        # and the note form's paper lookup pages through this list.
        return (
            super()
            .get_queryset(request)
            .annotate(_note_count=Count("notes", distinct=True))
            .order_by(*Paper._meta.ordering)
        )

    @admin.display(description=_("notes"), ordering="_note_count")
    def note_count(self, obj: Paper) -> int:
        return obj._note_count


@admin.register(PaperFinding)
class PaperFindingAdmin(admin.ModelAdmin):
    """The editors' queue of what check_papers found: accept to show it to readers (and log
    it on each note), or dismiss it."""

    list_display = ("paper", "kind", "notice", "status", "found_at")
    list_filter = ("status", "kind")
    list_select_related = ("paper",)
    search_fields = ("paper__title", "paper__arxiv", "paper__doi", "value")
    readonly_fields = ("paper", "kind", "value", "detail", "notice", "status", "found_at",
                       "decided_at")  # fmt: skip
    actions = ("accept", "dismiss")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("what readers see"))
    def notice(self, obj: PaperFinding) -> str:
        return obj.notice

    @admin.action(description=_("Accept: show to readers and log on each note"))
    def accept(self, request: HttpRequest, queryset: QuerySet[PaperFinding]) -> None:
        pending = list(queryset.filter(status=PaperFinding.Status.PENDING).select_related("paper"))
        for finding in pending:
            papercheck.accept(finding)
        messages.success(request, gettext("%(count)d accepted.") % {"count": len(pending)})

    @admin.action(description=_("Dismiss"))
    def dismiss(self, request: HttpRequest, queryset: QuerySet[PaperFinding]) -> None:
        pending = list(queryset.filter(status=PaperFinding.Status.PENDING))
        for finding in pending:
            papercheck.dismiss(finding)
        messages.success(request, gettext("%(count)d dismissed.") % {"count": len(pending)})
