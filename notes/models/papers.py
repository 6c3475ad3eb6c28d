"""What a note is about and shows besides its text: the papers it summarises and its figures."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notes.figures import FigureNotStored, figure_upload_to, remember_written, validate_figure
from notes.papers import (
    arxiv_from_url,
    bibtex_key,
    csl_item,
    normalize_arxiv,
    normalize_doi,
    split_authors,
    to_bibtex,
    validate_arxiv,
    validate_doi,
    validate_web_url,
    web_url,
)


def citation_link_key(written: str) -> str:
    """How a citation is kept among a note's links (NoteLink.key): apart from [[link]] targets,
    which never hold "[", case-folded as link keys are, and in one spelling of the paper's id
    (arXiv:2106.09685v2 and arxiv:2106.09685 are one paper)."""
    kind, _, ident = written.partition(":")
    if kind.casefold() == "arxiv" and (arxiv := normalize_arxiv(ident)):
        written = f"arxiv:{arxiv}"
    elif kind.casefold() == "doi" and (doi := normalize_doi(ident)):
        written = f"doi:{doi}"
    return f"[@{written}]".casefold()


# A key an editor cites in the text ([@hu2021lora]) and reads in the paper's address.
_KEY = RegexValidator(
    r"^[A-Za-z][A-Za-z0-9_-]*\Z",
    _("Letters, digits, - and _, starting with a letter (e.g. hu2021lora)."),
)


# Later than any note's publish time: published() with it lets in every published note.
_END_OF_TIME = datetime(9999, 12, 31, tzinfo=UTC)


class PaperQuerySet(models.QuerySet):
    def discussed(self, now: datetime | None = None) -> PaperQuerySet:
        """Papers readers may see: those at least one published note lists or cites, by
        the time ``refresh_discussed()`` keeps, so the index walks its order and stops at a
        page rather than checking every paper's notes (docs/architecture.md)."""
        return self.filter(discussed_since__lte=now or timezone.now())

    def refresh_discussed(self, notes: Iterable[int] | None = None) -> None:
        """Keep each paper's ``discussed_since``: the earliest publish time among the notes
        ``Note.objects.published()`` lets in at some time that list or cite it (its clock is
        compared when read, so a scheduled note's papers go live with it). ``notes``: only the
        papers these notes list or cite (an import's group); else every paper. Part of the
        derive step (notes.derive), in the change's transaction."""
        from notes.models.note import Note

        eventually = Note.objects.published(now=_END_OF_TIME)
        through = (NotePaper, Note.cites.through)
        papers, among = self, None
        if notes is not None:
            notes = list(notes)
            among = {
                pk
                for model in through
                for pk in model.objects.filter(note__in=notes).values_list("paper", flat=True)
            }
            papers = self.filter(pk__in=among)
        first: dict[int, datetime] = {}
        for model in through:
            links = model.objects.filter(note__in=eventually)
            if among is not None:
                links = links.filter(paper__in=among)
            for paper, when in (
                links.order_by().values("paper").annotate(first=models.Min("note__published_at"))
            ).values_list("paper", "first"):
                first[paper] = min(when, first.get(paper, when))
        stale = [
            Paper(pk=pk, discussed_since=first.get(pk))
            for pk, since in papers.values_list("pk", "discussed_since")
            if since != first.get(pk)
        ]
        Paper.objects.bulk_update(stale, ["discussed_since"], batch_size=500)

    def find(self, ident: str) -> Paper | None:
        """The paper an address or citation names: an arXiv id, a DOI or its key."""
        if "\x00" in ident:  # no id holds one, and PostgreSQL refuses it in a query
            return None
        if arxiv := normalize_arxiv(ident):
            return self.filter(arxiv=arxiv).first()
        if doi := normalize_doi(ident):
            return self.filter(doi=doi).first()
        if ident.isdigit():  # a paper stored without a key (past save()), by its number
            return self.filter(pk=int(ident), key="").first()
        return self.filter(key=ident).first() if ident else None


class Paper(models.Model):
    """A paper, one record however many notes summarise or cite it; known by its arXiv id or
    DOI, and cited in the text by its key."""

    title = models.CharField(_("title"), max_length=500)
    authors = models.TextField(_("authors"), blank=True, help_text=_("One author per line."))
    venue = models.CharField(
        _("venue"), max_length=200, blank=True, help_text=_("e.g. NeurIPS, ICLR, Nature.")
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    published = models.DateField(
        _("published"), null=True, blank=True, help_text=_("First publication date, if known.")
    )
    url = models.URLField(_("paper URL"), max_length=500, blank=True, validators=[validate_web_url])
    pdf_url = models.URLField(
        _("PDF URL"), max_length=500, blank=True, validators=[validate_web_url]
    )
    doi = models.CharField("DOI", max_length=200, blank=True, validators=[validate_doi])
    arxiv = models.CharField(
        _("arXiv id"),
        max_length=50,
        blank=True,
        validators=[validate_arxiv],
        help_text=_("2106.09685, arXiv:2106.09685v2 or an arxiv.org URL; stored as the bare id."),
    )
    code_url = models.URLField(
        _("code URL"), max_length=500, blank=True, validators=[validate_web_url]
    )
    abstract = models.TextField(_("abstract"), blank=True)
    arxiv_version = models.PositiveSmallIntegerField(
        _("arXiv version"),
        null=True,
        blank=True,
        help_text=_(
            "The arXiv version the notes were written on; check_papers tells when a newer "
            "one appears."
        ),
    )
    key = models.CharField(
        _("citation key"),
        max_length=100,
        unique=True,
        blank=True,
        validators=[_KEY],
        help_text=_(
            "Cite it in a note as [@key]. Left blank, it is made from the first author, the "
            "year and the title (hu2021lora)."
        ),
    )

    discussed_since = models.DateTimeField(
        null=True,
        editable=False,
        help_text="When the first published note listing or citing it goes public; kept by "
        "the derive step (PaperQuerySet.refresh_discussed), never edited.",
    )

    objects = PaperQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "title", "id"]
        # The index (/papers/) in its order, walked until a page of discussed papers is found.
        indexes = [
            models.Index(models.F("year").desc(), "venue", "title", "id", name="paper_index_order")
        ]
        verbose_name = _("paper")
        verbose_name_plural = _("papers")
        constraints = [
            # One record per paper: notes on the same paper share it.
            models.UniqueConstraint(
                fields=["arxiv"],
                condition=~models.Q(arxiv=""),
                name="paper_unique_arxiv",
                violation_error_message=_(
                    "A paper with this arXiv id is already on the site: choose it on the note."
                ),
            ),
            models.UniqueConstraint(
                fields=["doi"],
                condition=~models.Q(doi=""),
                name="paper_unique_doi",
                violation_error_message=_(
                    "A paper with this DOI is already on the site: choose it on the note."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.arxiv = normalize_arxiv(self.arxiv) or arxiv_from_url(self.url)
        self.doi = normalize_doi(self.doi)
        if not self.key:
            self.key = self.unused_key()
        if self.pk:
            before = Paper.objects.filter(pk=self.pk).only("key", "arxiv", "doi").first()
            self.citation_names_before = before.citation_names if before else set()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("notes:paper", kwargs={"ident": self.ident})

    @property
    def ident(self) -> str:
        """What the paper's address names it by: its arXiv id (/papers/2106.09685/), else
        its key. Not its DOI, which may hold any character; /papers/<doi>/ redirects here."""
        if self.arxiv and normalize_arxiv(self.arxiv) == self.arxiv:
            return self.arxiv
        return self.key or str(self.pk)

    def unused_key(self) -> str:
        """hu2021lora, or hu2021lora-b, -c … when another paper has it."""
        base = bibtex_key(self.author_list, self.year, self.title)
        taken = set(
            Paper.objects.filter(key__startswith=base)
            .exclude(pk=self.pk)
            .values_list("key", flat=True)
        )
        key, suffix = base, ord("a")
        while key in taken:
            suffix += 1
            key = f"{base}-{chr(suffix)}"
        return key

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

    @property
    def pdf_link(self) -> str:
        if web_url(self.pdf_url):
            return web_url(self.pdf_url)
        return f"https://arxiv.org/pdf/{self.arxiv}" if self.arxiv else ""

    def _cited_as(self) -> dict:
        """What a citation of it says, for BibTeX and CSL alike."""
        return {
            "key": self.key, "title": self.title, "authors": self.author_list,
            "year": self.year, "venue": self.venue, "url": self.url, "doi": self.doi,
            "arxiv": self.arxiv,
        }  # fmt: skip

    def csl(self) -> dict:
        """The paper as CSL-JSON, for reference lists formatted by citeproc-py."""
        return csl_item(**self._cited_as(), published=self.published)

    @property
    def citation_names(self) -> set[str]:
        """Every way a note may cite it ([@key], [@arxiv:…], [@doi:…]), as NoteLink keys."""
        names = {self.key}
        if self.arxiv:
            names.add(f"arxiv:{self.arxiv}")
        if self.doi:
            names.add(f"doi:{self.doi}")
        return {citation_link_key(name) for name in names if name}

    def bibtex(self) -> str:
        return to_bibtex(**self._cited_as())

    def get_bibtex_url(self) -> str:
        return reverse("notes:paper-bibtex", kwargs={"ident": self.ident})


class PaperFinding(models.Model):
    """What ``manage.py check_papers`` noticed about a paper, waiting for an editor to accept
    or dismiss it. Readers see accepted ones, on the paper's page and its notes' pages."""

    class Kind(models.TextChoices):
        NEW_VERSION = "new_version", _("New arXiv version")
        PUBLISHED = "published", _("Published version")
        UPDATE = "update", _("Correction or update")
        RETRACTION = "retraction", _("Retraction")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an editor")
        ACCEPTED = "accepted", _("Accepted")
        DISMISSED = "dismissed", _("Dismissed")

    paper = models.ForeignKey(
        Paper, on_delete=models.CASCADE, related_name="findings", verbose_name=_("paper")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # What was found, in one string, so the same finding is never queued twice: "v3", the
    # published DOI or venue, the notice's DOI.
    value = models.CharField(_("found"), max_length=300)
    detail = models.JSONField(
        _("detail"), default=dict, blank=True, help_text=_("What the service said.")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    found_at = models.DateTimeField(_("found"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["-found_at", "-id"]
        verbose_name = _("paper finding")
        verbose_name_plural = _("paper findings")
        constraints = [
            models.UniqueConstraint(fields=["paper", "kind", "value"], name="paperfinding_once")
        ]

    def __str__(self) -> str:
        return f"{self.paper}: {self.notice}"

    @property
    def notice(self) -> str:
        """The line readers see once it is accepted, in the interface's language."""
        detail = self.detail or {}
        if self.kind == self.Kind.NEW_VERSION:
            if detail.get("written"):
                return _("Written on v%(written)s; v%(latest)s is out.") % detail
            return _("A new version, v%(latest)s, is out.") % detail
        if self.kind == self.Kind.PUBLISHED:
            where = " ".join(str(part) for part in (detail.get("venue"), detail.get("doi")) if part)
            return _("Since published: %(where)s.") % {"where": where}
        if self.kind == self.Kind.RETRACTION:
            return _("This paper was retracted (%(label)s, %(date)s).") % {
                "label": detail.get("label") or _("Retraction"),
                "date": detail.get("date") or "",
            }
        return _("This paper has an update: %(label)s (%(date)s).") % {
            "label": detail.get("label") or self.get_kind_display(),
            "date": detail.get("date") or "",
        }


class NotePaper(models.Model):
    """A paper a note summarises, in the order the note lists them."""

    note = models.ForeignKey("notes.Note", on_delete=models.CASCADE, related_name="paper_links")
    paper = models.ForeignKey(
        Paper, on_delete=models.CASCADE, related_name="note_links", verbose_name=_("paper")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("paper of the note")
        verbose_name_plural = _("papers of the note")
        constraints = [
            models.UniqueConstraint(fields=["note", "paper"], name="notepaper_once_per_note")
        ]

    def __str__(self) -> str:
        return str(self.paper)


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
