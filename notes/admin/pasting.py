"""Images pasted or dropped into a note's body: uploaded as figures of a saved note at once,
or, in a note not saved yet, held in the Figures inline and put in place by its first save."""

from __future__ import annotations

import json
import re

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.db import transaction
from django.forms.utils import ErrorList
from django.http import HttpRequest, JsonResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from notes import figures
from notes.admin.inlines import FigureInline
from notes.models import Figure, Note

# In a new note's body, an image waiting for the first save: ![alt](pending-figure:<token>).
PENDING = "pending-figure:"
# What note-paste.js writes while an upload is on its way: ![Uploading… name](uploading:<n>).
UPLOADING = "uploading:"
# The token note-paste.js makes (16 random bytes in hex); anything else is ignored.
TOKEN = re.compile(r"[0-9a-f]{32}")
ALT_LENGTH = Figure._meta.get_field("alt").max_length
# Names browsers and apps give clipboard images: they say nothing of the picture.
_GENERIC_NAME = re.compile(
    r"(image|img|blob|clipboard|paste|pasted[ _-]?(image|graphic|picture)|untitled|unnamed)?"
    r"[ _-]*(\(?\d{0,4}\)?)",
    re.IGNORECASE,
)
# Control characters and the marks that turn text right to left: an alt text is one line of
# what the picture shows, and a bidi override would reverse the editor's Markdown line after it.
_INVISIBLE = {
    code: " "
    for code in (
        *range(0x00, 0x20),
        *range(0x7F, 0xA0),
        0x200E,
        0x200F,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    )
}
_LEFTOVER = re.compile(rf"\]\((?:{re.escape(PENDING)}|{re.escape(UPLOADING)})[^)\s]*\)")


def clean_alt(text: str) -> str:
    """One line of visible text, as long as the alt field holds."""
    return " ".join(text.translate(_INVISIBLE).split())[:ALT_LENGTH].strip()


def alt_from_name(name: str, number: int) -> str:
    """The alt text a pasted file gets: its name without folders and type ("attention map"),
    or "Figure N" for a name that says nothing (a clipboard image is "image.png")."""
    base = re.split(r"[\\/]", name)[-1]
    stem, dot, _extension = base.rpartition(".")
    stem = clean_alt(stem if dot else base)
    if _GENERIC_NAME.fullmatch(stem) or not re.search(r"\w", stem):
        return _("Figure %(number)s") % {"number": number}
    return stem


def paste_messages() -> dict[str, str]:
    """The words note-paste.js shows, in the admin's language."""
    return {
        "upload_help": _(
            "Paste or drop images here: each is uploaded as a figure of this note and its "
            "Markdown is put where the cursor is."
        ),
        "pending_help": _(
            "Paste or drop images here: each is checked now and uploaded when you save the "
            "note. Until then the text shows it as ![…](pending-figure:…); the save puts the "
            "image's address there."
        ),
        "uploading": _("Uploading… %(name)s"),
        "uploaded": _("%(name)s uploaded."),
        "pending": _("%(name)s will be uploaded when you save the note."),
        "refused": _("%(name)s was not added: %(error)s"),
        "failed": _(
            "%(name)s was not added: the server did not answer (%(reason)s). Your text is "
            "unchanged."
        ),
        "offline": _("offline?"),
        "signed_out": _("signed out? Sign in again in another tab, then paste again"),
        "moved": _(
            "%(name)s was uploaded, but its placeholder is no longer in the text. "
            "Its Markdown: %(markdown)s"
        ),
        "lost": _(
            "Pasted images are not uploaded yet, and a browser forgets chosen files when the "
            "form comes back with errors: pick each again in the highlighted Figures rows "
            "(their alt text is kept), or remove the row and its placeholder from the text."
        ),
    }


class PastedFigureForm(forms.ModelForm):
    """One pasted file, through the Figure inline's checks: Django's image field and the
    model's validators (notes/figures.py)."""

    class Meta:
        model = Figure
        fields = ("image", "alt")


class FigureRowForm(forms.ModelForm):
    """A row of the Figures inline, with the token of the image pasted into a new note's
    body that this row uploads (note-paste.js fills both)."""

    # No label: its column is hidden, and a screen reader has nothing to say of it.
    paste_token = forms.CharField(label="", required=False, widget=forms.HiddenInput)

    def clean_paste_token(self) -> str:
        # Only a token note-paste.js could have made; anything else is not a paste.
        token = self.cleaned_data.get("paste_token", "").strip()
        return token if TOKEN.fullmatch(token) else ""

    def clean(self) -> dict:
        cleaned_data = super().clean()
        pasted = cleaned_data.get("paste_token") and self.instance.pk is None
        if pasted and not self.files.get(self.add_prefix("image")):
            # The form came back with errors: the browser did not send the file again.
            self.errors["image"] = ErrorList(
                [
                    _(
                        "This image was pasted into the body but is not uploaded yet: choose "
                        "the file again here, or remove this row."
                    )
                ]
            )
            cleaned_data.pop("image", None)
        return cleaned_data


class PastedFigureInline(FigureInline):
    form = FigureRowForm
    fields = (*FigureInline.fields, "paste_token")


def replace_pending(body: str, pasted: dict[str, Figure]) -> str:
    """Each ![…](pending-figure:<token>) of a figure now saved becomes the figure's snippet;
    the token anywhere else (a link to it) becomes its address."""
    for token, figure in pasted.items():
        image = re.compile(rf"!\[[^\]\n]*\]\({re.escape(PENDING + token)}\)")
        body = image.sub(lambda _match, figure=figure: figure.markdown, body)
        body = body.replace(PENDING + token, figure.image.url)
    return body


class FigurePastingMixin:
    """For NoteAdmin: images pasted or dropped into the body become figures of the note.

    A saved note: each file goes to ``<id>/figures/paste/`` and is a figure at once; the body
    gets its snippet. A new note has nowhere to hang a figure yet: the file is checked by
    ``figures/check/`` and put in a new row of the Figures inline, the body gets
    ``![alt](pending-figure:<token>)``, and the first save replaces it with the figure's
    address (``save_related``)."""

    def get_urls(self):
        paste = self.admin_site.admin_view(require_POST(self.paste_figure_view))
        check = self.admin_site.admin_view(require_POST(self.check_figure_view))
        return [
            path("figures/check/", check, name="notes_note_figure_check"),
            path("<path:object_id>/figures/paste/", paste, name="notes_note_figure_paste"),
            *super().get_urls(),
        ]

    def get_inlines(self, request: HttpRequest, obj: Note | None):
        return [
            PastedFigureInline if inline is FigureInline else inline
            for inline in super().get_inlines(request, obj)
        ]

    def paste_attrs(self, obj: Note | None) -> dict[str, str]:
        """The body field's attributes note-paste.js reads: where to send files, and how."""
        if obj is None:
            url, mode = reverse("admin:notes_note_figure_check"), "pending"
        else:
            url, mode = reverse("admin:notes_note_figure_paste", args=[obj.pk]), "upload"
        return {
            "data-paste-url": url,
            "data-paste-mode": mode,
            "data-paste-messages": json.dumps(paste_messages()),
        }

    def _may_add_figures(self, request: HttpRequest, note: Note | None) -> bool:
        # As the form itself: change (or add) the note, and add rows to its Figures inline.
        if note is None:
            allowed = self.has_add_permission(request)
        else:
            allowed = self.has_change_permission(request, note)
        return allowed and any(
            isinstance(inline, FigureInline) and inline.has_add_permission(request, note)
            for inline in self.get_inline_instances(request, note)
        )

    def _pasted_form(
        self, request: HttpRequest, figure: Figure, number: int
    ) -> tuple[PastedFigureForm, JsonResponse | None]:
        """The form for the posted file, bound and checked, or the 400 answer refusing it."""
        upload = request.FILES.get("image")
        alt = clean_alt(request.POST.get("alt", ""))
        if not alt:
            # The file's name as the browser knows it (note-paste.js sends it as a field):
            # in the upload's own header, browsers write a quote as %22.
            name = request.POST.get("name") or (upload.name if upload else "")
            alt = alt_from_name(name, number)
        if upload is not None:
            # Its name only labels it (stored names are random): a long one would be refused
            # by the image field's 100-character limit. The extension stays for its check.
            _stem, dot, extension = upload.name.rpartition(".")
            upload.name = f"pasted.{extension[:16]}" if dot else "pasted"
        form = PastedFigureForm({"alt": alt}, request.FILES, instance=figure)
        if upload is None:
            return form, JsonResponse({"error": _("No image file was received.")}, status=400)
        if not form.is_valid():
            error = " ".join(str(message) for errors in form.errors.values() for message in errors)
            return form, JsonResponse({"error": error}, status=400)
        return form, None

    def paste_figure_view(self, request: HttpRequest, object_id: str) -> JsonResponse:
        """Store one pasted or dropped file as a figure of a saved note: its snippet, address
        and alt text, or 400 with the reason (the Figures inline's own words)."""
        note = self.get_object(request, unquote(object_id))
        if note is None:
            return JsonResponse({"error": _("No such note.")}, status=404)
        if not self._may_add_figures(request, note):
            return JsonResponse({"error": _("You may not add figures to this note.")}, status=403)
        form, refusal = self._pasted_form(
            request, Figure(note=note), number=note.figures.count() + 1
        )
        if refusal is not None:
            return refusal
        # The figure alone: the note's body and version (notes/locking.py) stay as they are,
        # so the editor's next save is not an edit conflict; the snippet goes in with it.
        try:
            with figures.discarded_on_failure(), transaction.atomic():
                figure = form.save()
                self.log_change(
                    request,
                    note,
                    [{"added": {"name": str(Figure._meta.verbose_name), "object": str(figure)}}],
                )
        except figures.FigureNotStored as exc:
            figures.logger.error("A pasted figure could not be stored: %s", exc)
            return JsonResponse({"error": str(figures.FigureNotStored.message)}, status=400)
        return JsonResponse(
            {"markdown": figure.markdown, "url": figure.image.url, "alt": figure.alt}
        )

    def check_figure_view(self, request: HttpRequest) -> JsonResponse:
        """A file pasted into a note not saved yet: the same checks now, so a refused file
        never waits for the save; nothing is stored. Answers the alt text it would get."""
        if not self._may_add_figures(request, None):
            return JsonResponse({"error": _("You may not add figures to notes.")}, status=403)
        # How many figures the new note's form holds already, plus one ("Figure N").
        sent = request.POST.get("number", "")
        number = int(sent) if re.fullmatch(r"[1-9][0-9]{0,3}", sent) else 1
        form, refusal = self._pasted_form(request, Figure(), number=number)
        if refusal is not None:
            return refusal
        return JsonResponse({"alt": form.cleaned_data["alt"]})

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        note = form.instance
        pasted = {
            row.cleaned_data["paste_token"]: row.instance
            for formset in formsets
            if formset.model is Figure
            for row in formset.forms
            if getattr(row, "cleaned_data", {}).get("paste_token") and row.instance.pk
        }
        body = replace_pending(note.body, pasted) if pasted else note.body
        if body != note.body:
            # Saved again so readers get the images; the revision made after this holds it.
            note.body = body
            note.save(update_fields=["body"])
        if leftover := len(_LEFTOVER.findall(note.body)):
            messages.warning(
                request,
                ngettext(
                    "The body still has %(count)d image placeholder whose file was never "
                    "uploaded: paste or drop the image again, or remove the placeholder.",
                    "The body still has %(count)d image placeholders whose files were never "
                    "uploaded: paste or drop the images again, or remove the placeholders.",
                    leftover,
                )
                % {"count": leftover},
            )
