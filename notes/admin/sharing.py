"""The note form's preview links: share a draft's preview with people who have no account."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.forms.formsets import INITIAL_FORM_COUNT, TOTAL_FORM_COUNT, ManagementForm
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from notes.models import Note, PreviewLink
from notes.models.sharing import LIFETIMES
from notes.seo import absolute


class _Nothing(forms.Widget):
    """A saved link's lifetime cell: it is fixed, so only a dash (its expiry is beside it)."""

    def render(self, name, value, attrs=None, renderer=None) -> str:
        return "—"


class PreviewLinkForm(forms.ModelForm):
    """A new link: only how long it lives. A saved link cannot be changed, only revoked."""

    lifetime = forms.TypedChoiceField(
        label=_("valid for"),
        coerce=int,
        empty_value=None,
        help_text=_(
            "Choose how long a new link works, then save the note. Anyone with the address "
            "sees this note's preview, draft or not, until then. Tick Delete and save to "
            "revoke a link at once."
        ),
    )

    class Meta:
        model = PreviewLink
        fields = ("lifetime",)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["lifetime"]
        field.choices = [
            ("", "—"),
            *((days, ngettext("%(days)d day", "%(days)d days", days) % {"days": days})
              for days in LIFETIMES),
        ]  # fmt: skip
        if self.instance.pk is not None:
            # Shown, but neither editable nor required on a link that exists.
            field.disabled = True
            field.required = False
            field.widget = _Nothing()


class PreviewLinkFormSet(forms.BaseInlineFormSet):
    request: HttpRequest | None = None

    @cached_property
    def management_form(self) -> ManagementForm:
        # A note form opened before this section existed (or posted by a script that does not
        # know it) changes no links, rather than failing the whole save.
        total = f"{self.prefix}-{TOTAL_FORM_COUNT}"
        if self.is_bound and total not in self.data:
            data = {total: "0", f"{self.prefix}-{INITIAL_FORM_COUNT}": "0"}
            form = ManagementForm(data, auto_id=self.auto_id, prefix=self.prefix)
            form.full_clean()
            return form
        return forms.BaseInlineFormSet.management_form.func(self)

    def save_new(self, form: PreviewLinkForm, commit: bool = True) -> PreviewLink:
        form.instance.expires_at = timezone.now() + timedelta(days=form.cleaned_data["lifetime"])
        user = getattr(self.request, "user", None)
        form.instance.created_by = user if user is not None and user.is_authenticated else None
        return super().save_new(form, commit=commit)

    def save(self, commit: bool = True) -> list[PreviewLink]:
        saved = super().save(commit=commit)
        if commit and self.instance.pk is not None:
            # Expired links open nothing and are no longer listed: no reason to keep them.
            self.instance.preview_links.exclude(pk__in=[link.pk for link in saved]).filter(
                expires_at__lte=timezone.now()
            ).delete()
        return saved


class PreviewLinkInline(admin.TabularInline):
    """The note's active preview links: the address to copy, until when it works and who made
    it; a new one for 1, 7 or 30 days; Delete revokes one (the row is gone, so is the page)."""

    model = PreviewLink
    form = PreviewLinkForm
    formset = PreviewLinkFormSet
    fields = ("address", "expiry", "creator", "lifetime")
    readonly_fields = ("address", "expiry", "creator")
    extra = 1
    classes = ("preview-links",)
    view_on_site = False
    verbose_name = _("preview link")
    verbose_name_plural = _("preview links for people without an account")

    def get_queryset(self, request: HttpRequest) -> QuerySet[PreviewLink]:
        return super().get_queryset(request).active().select_related("created_by")

    def get_formset(self, request: HttpRequest, obj: Note | None = None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        return type(formset.__name__, (formset,), {"request": request})

    # Whoever may edit the note may share its preview and take the link back: the links are
    # part of the note's form, not a model of their own in the admin.
    def has_view_permission(self, request: HttpRequest, obj: Note | None = None) -> bool:
        return request.user.has_perm("notes.view_note") or self._may_share(request)

    def has_add_permission(self, request: HttpRequest, obj: Note | None = None) -> bool:
        return self._may_share(request)

    def has_change_permission(self, request: HttpRequest, obj: Note | None = None) -> bool:
        return self._may_share(request)

    def has_delete_permission(self, request: HttpRequest, obj: Note | None = None) -> bool:
        return self._may_share(request)

    @staticmethod
    def _may_share(request: HttpRequest) -> bool:
        return request.user.has_perm("notes.change_note")

    @admin.display(description=_("address"))
    def address(self, link: PreviewLink) -> str:
        if link.pk is None:
            return gettext("The address appears once the note is saved.")
        url = absolute(None, link.get_absolute_url())
        return format_html(
            '<input class="preview-link-address" type="text" size="48" readonly value="{}"'
            ' aria-label="{}"> <a href="{}" target="_blank" rel="noopener">{}</a>',
            url,
            gettext("Preview link address"),
            url,
            gettext("Open"),
        )

    @admin.display(description=_("expires"))
    def expiry(self, link: PreviewLink) -> str:
        if link.expires_at is None:
            return "—"
        return f"{timezone.localtime(link.expires_at):%Y-%m-%d %H:%M}"

    @admin.display(description=_("created by"))
    def creator(self, link: PreviewLink) -> str:
        # When is the row's label (the link's str()).
        who = link.created_by
        if link.pk is None or who is None:
            return "—"
        return who.get_full_name() or who.get_username()
