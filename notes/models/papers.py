"""What a note is about and shows besides its text: the papers it summarises and its figures."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from notes.figures import FigureNotStored, figure_upload_to, remember_written, validate_figure
from notes.papers import (
    arxiv_from_url,
    normalize_arxiv,
    normalize_doi,
    split_authors,
    to_bibtex,
    validate_arxiv,
    validate_doi,
    validate_web_url,
    web_url,
)


class Paper(models.Model):
    """A paper a note summarises or cites; notes sharing a paper link to each other."""

    note = models.ForeignKey("notes.Note", on_delete=models.CASCADE, related_name="papers")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("title"), max_length=500)
    authors = models.TextField(_("authors"), blank=True, help_text=_("One author per line."))
    venue = models.CharField(
        _("venue"), max_length=200, blank=True, help_text=_("e.g. NeurIPS, ICLR, Nature.")
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    url = models.URLField(_("paper URL"), max_length=500, blank=True, validators=[validate_web_url])
    doi = models.CharField(
        "DOI", max_length=200, blank=True, db_index=True, validators=[validate_doi]
    )
    arxiv = models.CharField(
        _("arXiv id"),
        max_length=50,
        blank=True,
        db_index=True,
        validators=[validate_arxiv],
        help_text=_("2106.09685, arXiv:2106.09685v2 or an arxiv.org URL; stored as the bare id."),
    )
    code_url = models.URLField(
        _("code URL"), max_length=500, blank=True, validators=[validate_web_url]
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("paper")
        verbose_name_plural = _("papers")

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.arxiv = normalize_arxiv(self.arxiv) or arxiv_from_url(self.url)
        self.doi = normalize_doi(self.doi)
        super().save(*args, **kwargs)

    @property
    def author_list(self) -> list[str]:
        return split_authors(self.authors)

    @property
    def link(self) -> str:
        if web_url(self.url):
            return web_url(self.url)
        if self.arxiv:
            return f"https://arxiv.org/abs/{self.arxiv}"
        if self.doi:
            return f"https://doi.org/{self.doi}"
        return ""

    @property
    def code_link(self) -> str:
        return web_url(self.code_url)

    def bibtex(self) -> str:
        return to_bibtex(
            title=self.title,
            authors=self.author_list,
            year=self.year,
            venue=self.venue,
            url=self.url,
            doi=self.doi,
            arxiv=self.arxiv,
        )

    def get_bibtex_url(self) -> str:
        return reverse("notes:bibtex", kwargs={"slug": self.note.slug, "pk": self.pk})


_SNIPPET_ALT = str.maketrans({"\\": "&#92;", "[": "&#91;", "]": "&#93;"})
_SNIPPET_CAPTION = str.maketrans({"\\": "&#92;", '"': "&quot;"})


class Figure(models.Model):
    """An image uploaded for a note; the admin shows a Markdown snippet to paste into the body."""

    note = models.ForeignKey("notes.Note", on_delete=models.CASCADE, related_name="figures")
    image = models.ImageField(
        upload_to=figure_upload_to,
        width_field="width",
        height_field="height",
        validators=[validate_figure],
        verbose_name=_("image"),
        help_text=_("PNG, JPEG, GIF or WebP, at most 10 MB. SVG is not accepted."),
    )
    width = models.PositiveIntegerField(editable=False, default=0)
    height = models.PositiveIntegerField(editable=False, default=0)
    alt = models.CharField(
        _("alt text"), max_length=300, help_text=_("What the image shows, for screen readers.")
    )
    caption = models.CharField(
        _("caption"), max_length=300, blank=True, help_text=_("Shown under the figure.")
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("figure")
        verbose_name_plural = _("figures")

    def __str__(self) -> str:
        return self.alt or self.image.name

    def save(self, *args, **kwargs) -> None:
        # The image is written before the row, so a write that fails (disk full, read-only
        # folder) leaves no row pointing at a missing file; the storage leaves no partial file.
        if self.image and not self.image._committed:
            try:
                self.image.save(self.image.name, self.image.file, save=False)
            except OSError as exc:
                raise FigureNotStored(str(exc)) from exc
            remember_written(self.image.storage, self.image.name)
        super().save(*args, **kwargs)

    @property
    def markdown(self) -> str:
        """The snippet an editor pastes: ![alt](url "caption"). One line, whatever the alt
        text and caption hold: a line break or a bracket in them would end the image early and
        turn the rest into Markdown of its own (an abbreviation, a reference link). Brackets,
        backslashes and quotes go as character references: "\\[" would open display math."""
        alt = " ".join(self.alt.split()).translate(_SNIPPET_ALT)
        caption = " ".join(self.caption.split()).translate(_SNIPPET_CAPTION)
        title = f' "{caption}"' if caption else ""
        return f"![{alt}]({self.image.url}{title})"
