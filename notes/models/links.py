"""Where notes point: the names a note had before, its [[wiki links]], and what rendering
needs to resolve them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from notes.models.papers import Figure, Paper, citation_link_key
from notes.papers import normalize_arxiv, normalize_doi
from notes.rendering import (
    CitedWork,
    LinkTarget,
    RenderContext,
    RenderLimits,
    RenderResult,
    find_citation_keys,
)
from notes.rendering.markdown_ext import find_wiki_targets, wiki_key

if TYPE_CHECKING:
    from notes.models.note import Note


class OldName(models.Model):
    """A slug or title a note had before: its old URL redirects, old [[links]] still resolve."""

    class Kind(models.TextChoices):
        SLUG = "slug", _("Slug")
        TITLE = "title", _("Title")

    note = models.ForeignKey("notes.Note", on_delete=models.CASCADE, related_name="old_names")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    key = models.CharField(
        max_length=300, help_text="The old slug as written, or the old title's wiki-link key."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="unique_old_name")]
        # Named in the admin when a note is deleted: its old names go with it.
        verbose_name = _("old name")
        verbose_name_plural = _("old names")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} “{self.key}” → {self.note}"


class NoteLink(models.Model):
    """A [[wiki link]] in a note: the target as written, and the note it resolved to."""

    source = models.ForeignKey(
        "notes.Note", on_delete=models.CASCADE, related_name="outgoing_links"
    )
    key = models.CharField(max_length=300, db_index=True)
    target = models.ForeignKey(
        "notes.Note",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incoming_links",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "key"], name="unique_link_per_note")
        ]
        # Named in the admin when a note is deleted: its links go with it.
        verbose_name = _("link between notes")
        verbose_name_plural = _("links between notes")

    def __str__(self) -> str:
        return f"{self.source} → [[{self.key}]]"


def remember_old_names(note: Note, before: dict[str, str] | None) -> None:
    """Keep the slug and title this save replaced, so old URLs redirect and old [[links]]
    resolve; a name now in use (by this note or another) is no longer an old one."""
    OldName.objects.filter(
        Q(kind=OldName.Kind.SLUG, key=note.slug) | Q(kind=OldName.Kind.TITLE, key=note.title_key)
    ).delete()
    if before is None:
        return
    for kind, old, new in (
        (OldName.Kind.SLUG, before["slug"], note.slug),
        (OldName.Kind.TITLE, before["title_key"], note.title_key),
    ):
        if old and old != new:
            OldName.objects.update_or_create(kind=kind, key=old, defaults={"note": note})


def render_context(source: Note) -> RenderContext:
    """Everything rendering needs from the database, fetched up front in three queries."""
    written = set(find_wiki_targets(source.body))
    keys = {wiki_key(target) for target in written}
    targets: dict[str, LinkTarget] = {}
    if keys:
        now = timezone.now()
        fields = ("slug", "title", "short_title", "title_key", "status", "published_at")

        def link_target(note: Note) -> LinkTarget:
            # The body is stored once for both languages: its links are the default
            # language's addresses, whatever language the saving request runs in (an
            # editor's English admin put /en/ into them).
            with translation.override(settings.LANGUAGE_CODE):
                url = note.get_absolute_url()
            return LinkTarget(
                slug=note.slug,
                url=url,
                title=note.title,
                short_title=note.link_text,
                is_public=note.status == type(source).Status.PUBLISHED
                and note.published_at is not None
                and note.published_at <= now,
            )

        # Names a note had before: weakest, so a note that took an old name wins it.
        for old in (
            OldName.objects.filter(key__in=keys | written)
            .exclude(note_id=source.pk)
            .select_related("note")
            .only("kind", "key", *(f"note__{name}" for name in fields))
        ):
            targets[old.key.casefold()] = link_target(old.note)
        # Slugs may keep capitals ("LoRA-v2"): match them as written and case-folded, which
        # keeps the lookup on the slug index (a Lower() comparison would scan every note).
        candidates: list[Note] = list(
            type(source)
            .objects.filter(Q(slug__in=keys | written) | Q(title_key__in=keys))
            .exclude(pk=source.pk)
            .only(*fields)
        )
        # The note as it is being saved, not its stored row: a source-link resolves on the
        # first save too, and to the new slug or title when this save renames it.
        if source.slug:
            candidates.append(source)
        resolved = [(note, link_target(note)) for note in candidates]
        by_title = {note.title_key: target for note, target in resolved}
        by_slug = {note.slug.casefold(): target for note, target in resolved}
        # [[x]] names a note by slug or by title; a slug match wins.
        targets.update(by_title)
        targets.update(by_slug)
    image_sizes = {}
    if source.pk:
        image_sizes = {
            figure.image.url: (figure.width, figure.height)
            for figure in Figure.objects.filter(note_id=source.pk).only("image", "width", "height")
        }

    return RenderContext(
        resolve_link=targets.get,
        image_sizes=image_sizes,
        limits=RenderLimits.from_settings(settings),
        resolve_citation=cited_works(source.body).get,
        citation_styles=settings.NOTES_CITATION_STYLES,
    )


def cited_works(body: str) -> dict[str, CitedWork]:
    """The papers a body cites, by the key as written ([@hu2022lora], [@arxiv:2106.09685],
    [@doi:10.…]), in one query."""
    written = find_citation_keys(body)
    if not written:
        return {}
    by_id: dict[str, str] = {}
    for key in written:
        kind, _, ident = key.partition(":")
        if kind.casefold() == "arxiv" and (arxiv := normalize_arxiv(ident)):
            by_id[key] = f"arxiv:{arxiv}"
        elif kind.casefold() == "doi" and (doi := normalize_doi(ident)):
            by_id[key] = f"doi:{doi}"
        else:
            by_id[key] = f"key:{key}"
    wanted = set(by_id.values())
    papers = Paper.objects.filter(
        Q(key__in=[i[4:] for i in wanted if i.startswith("key:")])
        | Q(arxiv__in=[i[6:] for i in wanted if i.startswith("arxiv:")])
        | Q(doi__in=[i[4:] for i in wanted if i.startswith("doi:")])
    )
    found: dict[str, CitedWork] = {}
    for paper in papers:
        with translation.override(settings.LANGUAGE_CODE):
            work = CitedWork(key=paper.key, url=paper.get_absolute_url(), csl=paper.csl())
        for name in (f"key:{paper.key}", f"arxiv:{paper.arxiv}", f"doi:{paper.doi}"):
            found.setdefault(name, work)
    return {key: found[ident] for key, ident in by_id.items() if ident in found}


def store_links(note: Note, result: RenderResult, *, new: bool = False) -> None:
    """Remember where this note's [[links]] point, for backlinks and re-rendering (``new``:
    the note was just created, so it has none stored yet), and which papers it cites: every
    citation is kept as a link too ([@key]), so a paper added or renamed later re-renders
    the notes that name it."""
    links = dict(result.links)
    for written, _key in result.citations:
        links[citation_link_key(written)] = None
    cited = {key for _written, key in result.citations if key}
    if cited or not new:
        note.cites.set(Paper.objects.filter(key__in=cited)) if cited else note.cites.clear()
    pks = dict(
        type(note)
        .objects.filter(slug__in={slug for slug in links.values() if slug})
        .values_list("slug", "pk")
    )
    if not new:
        NoteLink.objects.filter(source=note).delete()
    NoteLink.objects.bulk_create(
        NoteLink(source=note, key=key[:300], target_id=pks.get(slug)) for key, slug in links.items()
    )
