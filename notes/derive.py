"""What a change derives from other objects, written in one step: ``run(notes, names)``.

A note's own rendering is made by ``Note.save()``. Everything that depends on other objects
is made here, and only here: each note's search document, its tags and papers as cards show
them, its related-note candidates (both ways), the notes whose [[links]] name a renamed or
deleted note, when each paper became discussed, and the site state (notes.delivery.state).
A save, an import, a delete or a rename of a category, tag, series or author all end in
``changed()``; inside ``batch()`` (an import, a bulk action) the step runs once, for
everything the batch touched, when the batch ends.

The step runs inside the change's transaction, so the derived rows commit with it.
``VERSION`` names what this step writes; raise it when that changes, and run
``manage.py rerender_notes`` after the deploy.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

VERSION = 1


@dataclass
class _Pending:
    notes: set[int] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    site: bool = False


# One pending change per thread while a batch is open (each request or command runs in one).
_local = threading.local()
# Notes being deleted: their tags and papers go first and must not derive them again.
_deleting: set[int] = set()


def _model(name: str):
    return apps.get_model("notes", name)


@contextmanager
def site_once() -> Iterator[None]:
    """Around many batches that commit one by one (an import, file by file): each derives
    its notes, and the site state is counted once, at the end, rather than after each."""
    if getattr(_local, "site_deferred", None) is not None:
        yield
        return
    _local.site_deferred = False
    try:
        yield
    finally:
        due, _local.site_deferred = _local.site_deferred, None
        if due:
            _site_changed()


@contextmanager
def batch() -> Iterator[None]:
    """Derive once, when the block ends, whatever the block changed. Nested blocks join the
    outer one. Use it inside the transaction that makes the changes."""
    if getattr(_local, "pending", None) is not None:
        yield
        return
    _local.pending = _Pending()
    try:
        yield
        pending = _local.pending
    finally:
        _local.pending = None
    run(pending.notes, pending.names, site=pending.site or bool(pending.notes))


def changed(notes: Iterable[int] = (), names: Iterable[str] = (), *, site: bool = True) -> None:
    """These notes changed (and these titles or slugs were renamed or removed): derive now,
    or when the open batch ends."""
    pending = getattr(_local, "pending", None)
    if pending is not None:
        pending.notes.update(notes)
        pending.names.update(name for name in names if name)
        pending.site = pending.site or site
        return
    run(notes, names, site=site)


def run(notes: Iterable[int] = (), names: Iterable[str] = (), *, site: bool = True) -> None:
    """The one derive step: linking notes re-rendered, then each note's derived data, then
    the site state."""
    from notes.delivery import state
    from notes.rendering.markdown_ext import wiki_key

    Note = _model("Note")
    ids = set(notes) - _deleting
    keys = {wiki_key(name) for name in names if name}
    if keys:
        # Their [[links]] resolve differently now: rendered again, and derived with the rest.
        # Notes of this change are included: in a batch, one saved before the name appeared
        # (an import's earlier file linking to a later one) was rendered without it.
        outer, _local.pending = getattr(_local, "pending", None), _Pending()
        try:
            for note in (
                Note.objects.filter(outgoing_links__key__in=keys)
                .exclude(pk__in=_deleting)
                .distinct()
            ):
                note.rerender()
            ids |= _local.pending.notes
        finally:
            _local.pending = outer
    if ids:
        _derive_notes(Note, sorted(ids))
    if site or ids or keys:
        if getattr(_local, "site_deferred", None) is not None:
            # A new version at once (no page is kept past the change), with this group's
            # papers readers may now see; counts and every paper at the end.
            _local.site_deferred = True
            _model("Paper").objects.refresh_discussed(notes=ids)
            state.bump()
        else:
            _site_changed()


def _site_changed() -> None:
    """What readers see of the whole site: which papers are discussed, then the site state
    (its counts read them)."""
    from notes.delivery import state

    _model("Paper").objects.refresh_discussed()
    state.changed()


def _derive_notes(Note, ids: list[int]) -> None:
    from django.contrib.contenttypes.models import ContentType
    from taggit.models import TaggedItem

    from notes import related

    NotePaper, SearchDocument = _model("NotePaper"), _model("SearchDocument")
    tags: dict[int, list] = {pk: [] for pk in ids}
    for item in (
        TaggedItem.objects.filter(
            content_type=ContentType.objects.get_for_model(Note), object_id__in=ids
        )
        .select_related("tag")
        .prefetch_related("tag__aliases")
    ):
        tags[item.object_id].append(item.tag)
    papers: dict[int, list] = {pk: [] for pk in ids}
    for link in NotePaper.objects.filter(note__in=ids).select_related("paper"):
        papers[link.note_id].append(link.paper)
    notices: dict[int, list] = {}
    for finding in (
        _model("PaperFinding")
        .objects.filter(paper__note_links__note__in=ids, status="accepted")
        .distinct()
    ):
        notices.setdefault(finding.paper_id, []).append([finding.kind, finding.detail])
    notes = list(Note.objects.filter(pk__in=ids).select_related("category"))
    all_tags = {tag.pk for pk in ids for tag in tags[pk]}
    weights = related.tag_weights(list(all_tags), related.recent_notes()) if all_tags else {}
    found = related.candidates({pk: [tag.pk for tag in tags[pk]] for pk in ids}, weights)
    candidates: dict[int, tuple[list, list]] = {}
    indexed = set(SearchDocument.objects.filter(note__in=ids).values_list("note_id", flat=True))
    documents: list = []
    for note in notes:
        documents.append(
            SearchDocument.for_note(
                note, tags=tags[note.pk], papers=papers[note.pk], category=note.category
            )
        )
        previous = note.related_data
        note.tag_data = sorted(
            ([tag.name, tag.slug] for tag in tags[note.pk]), key=lambda t: t[0].casefold()
        )
        note.paper_data = [
            {**paper_fields(paper), "notices": notices.get(paper.pk, [])}
            for paper in papers[note.pk]
        ]
        note.related_data = found[note.pk]
        candidates[note.pk] = (previous, note.related_data)
    related.update_reverse(candidates)
    SearchDocument.objects.bulk_create(
        [document for document in documents if document.note_id not in indexed], batch_size=500
    )
    SearchDocument.objects.bulk_update(
        [document for document in documents if document.note_id in indexed],
        SearchDocument.WRITTEN,
        batch_size=500,
    )
    Note.objects.bulk_update(notes, ["tag_data", "paper_data", "related_data"], batch_size=500)


def paper_fields(paper) -> dict:
    """A paper as ``Note.paper_data`` keeps it: enough for its card, page and citation."""
    return {
        "pk": paper.pk,
        "title": paper.title,
        "authors": paper.authors,
        "venue": paper.venue,
        "year": paper.year,
        "url": paper.url,
        "doi": paper.doi,
        "arxiv": paper.arxiv,
        "code_url": paper.code_url,
        "pdf_url": paper.pdf_url,
        "key": paper.key,
    }


# What readers see of a note besides its own fields changes with these; each hook only says
# which notes, and the step above does the work.
def _note_ids(sender, instance, **kwargs) -> list[int]:
    Note = _model("Note")
    name = sender._meta.model_name
    if name == "taggeditem":
        return [instance.object_id] if instance.content_type.model_class() is Note else []
    if name in ("notepaper", "noteupdate"):
        return [instance.note_id]
    if name == "paperfinding":
        return list(Note.objects.filter(papers=instance.paper_id).values_list("pk", flat=True))
    if name == "paper":
        # Its notes show its fields; the notes citing it, its entry in their references.
        return list(
            Note.objects.filter(Q(papers=instance) | Q(cites=instance))
            .distinct()
            .values_list("pk", flat=True)
        )
    if name == "tag":
        return list(Note.objects.filter(tags=instance).values_list("pk", flat=True))
    if name == "tagalias":
        return list(Note.objects.filter(tags__id=instance.tag_id).values_list("pk", flat=True))
    if name == "category":
        return list(Note.objects.filter(category=instance).values_list("pk", flat=True))
    if name in ("series", "figure", "oldname"):
        return []
    if name == settings.AUTH_USER_MODEL.split(".")[-1].lower():
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and not {"first_name", "last_name", "username"} & set(
            update_fields
        ):
            return []
        return list(Note.objects.filter(author=instance).values_list("pk", flat=True))
    return []


def _on_change(sender, instance, created: bool = False, **kwargs) -> None:
    if sender._meta.model_name in ("tag", "category") and created:
        changed(site=True)
        return
    ids = _note_ids(sender, instance, **kwargs)
    user_model = settings.AUTH_USER_MODEL.split(".")[-1].lower()
    if sender._meta.model_name == user_model and not ids:
        return
    names: set[str] = set()
    if sender._meta.model_name == "paper":
        # Notes citing it by any of its names, now or before this save, render again: their
        # reference list shows its fields, and a citation may now resolve or no longer.
        names = instance.citation_names | getattr(instance, "citation_names_before", set())
    changed(ids, names=names)


def _on_papers_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    """``note.papers.add()`` and friends write NotePaper rows without saving each one."""
    if not action.startswith("post_"):
        return
    if not reverse:
        changed([instance.pk])
    elif pk_set:
        changed(pk_set)
    else:  # paper.notes.clear()
        changed(
            _model("NotePaper").objects.filter(paper=instance).values_list("note_id", flat=True)
        )


def _before_note_delete(sender, instance, **kwargs) -> None:
    _deleting.add(instance.pk)


def _after_note_delete(sender, instance, **kwargs) -> None:
    """A signal, not Note.delete(): the admin's bulk delete never calls delete() per note."""
    _deleting.discard(instance.pk)
    changed(names={instance.slug, instance.title_key})


def connect() -> None:
    """Hook the step to the models readers see (from NotesConfig.ready)."""
    from django.contrib.auth import get_user_model
    from taggit.models import Tag, TaggedItem

    for model in (
        TaggedItem,
        Tag,
        _model("TagAlias"),
        _model("Category"),
        _model("Series"),
        _model("Paper"),
        _model("NotePaper"),
        _model("PaperFinding"),
        _model("NoteUpdate"),
        _model("Figure"),
        _model("OldName"),
        get_user_model(),
    ):
        post_save.connect(_on_change, sender=model, dispatch_uid=f"derive-save-{model}")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"derive-delete-{model}")
    Note = _model("Note")
    m2m_changed.connect(
        _on_papers_changed, sender=Note.papers.through, dispatch_uid="derive-note-papers"
    )
    pre_delete.connect(_before_note_delete, sender=Note, dispatch_uid="derive-note-pre-delete")
    post_delete.connect(_after_note_delete, sender=Note, dispatch_uid="derive-note-delete")
