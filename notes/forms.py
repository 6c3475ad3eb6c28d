"""Forms whose field rules both the admin and the importer apply: what a paper record may hold."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from notes.models import Paper
from notes.papers import (
    arxiv_from_url,
    normalize_arxiv,
    normalize_doi,
    validate_arxiv,
    validate_doi,
    validate_web_url,
)


def web_address_field(label: str) -> forms.URLField:
    """An optional http(s) address; one typed without a scheme is taken as https."""
    return forms.URLField(
        label=label,
        max_length=500,
        required=False,
        assume_scheme="https",
        validators=[validate_web_url],
    )


class PaperForm(forms.ModelForm):
    """A paper as the papers admin edits it and as an imported file's ``paper:`` entry is
    checked (notes.importexport): ids are validated, then stored in their one spelling."""

    year = forms.IntegerField(
        label=capfirst(_("year")), min_value=1000, max_value=9999, required=False
    )
    url = web_address_field(_("Paper URL"))
    pdf_url = web_address_field(_("PDF URL"))
    code_url = web_address_field(_("Code URL"))

    class Meta:
        model = Paper
        fields = (
            "title", "authors", "venue", "year", "published", "url", "pdf_url", "arxiv",
            "arxiv_version", "doi", "code_url", "abstract", "key",
        )  # fmt: skip
        widgets = {
            "authors": forms.Textarea(attrs={"rows": 4, "cols": 40}),
            "abstract": forms.Textarea(attrs={"rows": 6, "cols": 80}),
        }

    def clean_arxiv(self) -> str:
        value = self.cleaned_data["arxiv"]
        validate_arxiv(value)
        return normalize_arxiv(value)

    def clean_doi(self) -> str:
        value = self.cleaned_data["doi"]
        validate_doi(value)
        return normalize_doi(value)

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        # A paper given only by its arxiv.org address still gets its id, so notes on the same
        # paper find each other (Paper.save does the same for rows saved elsewhere).
        if not cleaned_data.get("arxiv") and cleaned_data.get("url") and "arxiv" not in self.errors:
            cleaned_data["arxiv"] = arxiv_from_url(cleaned_data["url"])
        return cleaned_data
