"""A note's page (and its staff preview): the note, and the published notes around it."""

from django.contrib.admin.views.decorators import staff_member_required
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils.decorators import method_decorator
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.generic import DetailView

from notes import citing, neighbours, related, seo
from notes.delivery import caching, state
from notes.models import Note, OldName, Paper
from notes.seo import absolute
from notes.views.lists import PublishedNotesMixin


class NoteContextMixin:
    """What a note page shows besides the note: its tags and papers (stored with it), and the
    published notes around it — backlinks, notes on the same paper, its series, related notes,
    the previous and next note — fetched together in one query, whatever the number of notes.
    """

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        note = self.object
        context["page"] = self.page_parts(note, note.paper_list)
        context.update(self.around(note))
        context["note_url"] = absolute(self.request, note.get_absolute_url())
        if not getattr(self, "preview", False):
            # The note's address as reverse() encodes it, however the request spelled it.
            context["canonical_url"] = context["note_url"]
        return context

    def around(self, note: Note) -> dict:
        """The published notes the page shows around the note, by the part they appear in."""
        around = self.neighbours(note, note.paper_list)  # the note too, as a series part
        others = [other for other in around if other.pk != note.pk]
        linked = {other.pk for other in others if other.is_backlink or other.is_linked_to}
        same_paper = {other.pk for other in others if other.on_same_paper}
        context = {
            "backlinks": [other for other in others if other.is_backlink],
            "same_paper_notes": [other for other in others if other.on_same_paper],
            "series_nav": series_navigation(note, around),
            "related_notes": related.pick(note, others, linked=linked, same_paper=same_paper),
        }
        if note.published_at is not None and not getattr(self, "preview", False):
            key = (note.published_at, note.pk)
            older = [other for other in others if (other.published_at, other.pk) < key]
            newer = [other for other in others if (other.published_at, other.pk) > key]
            context["previous_note"] = max(older, key=_reading_key, default=None)
            context["next_note"] = min(newer, key=_reading_key, default=None)
        return context

    def page_parts(self, note: Note, papers: list[Paper]) -> dict:
        """The parts of the page that show the note itself: meta tags, head (math styles,
        JSON-LD), header and what precedes the body (papers, contents). Readers' copies are
        kept for the site's version, like list cards: a note page's own parts are the same on
        every request until something changes."""
        preview = getattr(self, "preview", False)
        if preview:
            return self.draw_parts(note, papers, preview=True)
        site = f"{caching.release()}-{state.current(self.request).tag}"
        key = f"notes:note-parts:{note.pk}:{get_language()}:{site}"
        parts = cache.get(key)
        if parts is None:
            parts = self.draw_parts(note, papers, preview=False)
            cache.set(key, parts, 3600)
        return {name: mark_safe(html) for name, html in parts.items()}

    def draw_parts(self, note: Note, papers: list[Paper], *, preview: bool) -> dict:
        tags = note.tag_links
        image = seo.first_image(note)
        updates = list(note.updates.all())  # only when the parts are drawn, not per request
        citable = seo.citable(note, updates[0].made_at if updates else None)
        context = {
            "updates": updates,
            "citation_meta": citing.highwire_meta(citable),
            "citation_bibtex": citing.bibtex(citable),
            "citation_text": citing.text_citation(citable),
            "note": note,
            "category": note.category,
            "tags": tags,
            "papers": papers,
            "preview": preview,
            "author_name": note.author_name,
            "preview_image": seo.absolute(None, image) if image else "",
            "json_ld": [
                seo.json_ld(data)
                for data in seo.note_json_ld(
                    note, request=None, tags=tags, papers=papers, series=note.series, image=image
                )
            ],
        }
        return {
            name: mark_safe(render_to_string(template, context).strip())
            for name, template in PAGE_PARTS.items()
        }

    def neighbours(self, note: Note, papers: list[Paper]) -> list[Note]:
        return neighbours.around(note, {paper.pk for paper in papers})


PAGE_PARTS = {
    "meta": "includes/note_page_meta.html",
    "head": "includes/note_page_head.html",
    "header": "includes/note_page_header.html",
    "intro": "includes/note_page_intro.html",
    "cite": "includes/note_page_cite.html",
}


def _reading_key(note: Note) -> tuple:
    return (note.published_at, note.pk)


def series_navigation(note: Note, others: list[Note]) -> dict | None:
    """Where a note stands in its series, counted among the parts readers can see: a draft or
    scheduled part is skipped, so readers see "Part 2 of 3", never a gap. ``others`` holds the
    series' published parts (the note page's neighbours)."""
    if note.series_id is None:
        return None
    parts = sorted(
        (other for other in others if other.series_id == note.series_id),
        key=lambda part: (
            part.series_position is None,
            part.series_position or 0,
            part.published_at,
            part.created_at,
            part.pk,
        ),
    )
    index = next((i for i, part in enumerate(parts) if part.pk == note.pk), None)
    return {
        "series": note.series,
        "parts": parts,
        "current": note.pk,
        "number": index + 1 if index is not None else None,
        "previous": parts[index - 1] if index else None,
        "next": parts[index + 1] if index is not None and index + 1 < len(parts) else None,
    }


class NoteDetailView(NoteContextMixin, PublishedNotesMixin, DetailView):
    model = Note
    context_object_name = "note"

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            self.object = self.get_object()
        except Http404:
            # A slug the note had before: a permanent redirect to where it lives now, only for
            # notes readers may see (a draft's old address stays a 404 like the draft).
            old = (
                OldName.objects.filter(
                    kind=OldName.Kind.SLUG,
                    key=kwargs["slug"],
                    note__in=Note.objects.published(),
                )
                .select_related("note")
                .only("note__slug")
                .first()
            )
            if old is None:
                raise
            return HttpResponsePermanentRedirect(old.note.get_absolute_url())
        return self.render_to_response(self.get_context_data(object=self.object))

    def get_object(self, queryset: QuerySet[Note] | None = None) -> Note:
        note = (
            self.get_queryset()
            .select_related("category", "series", "author")
            .filter(slug=self.kwargs["slug"])
            .first()
        )
        if note is None:
            raise Http404("No note readers may see has this address.")
        return note


def note_bibtex(request: HttpRequest, slug: str) -> HttpResponse:
    """How to cite a published note, as a BibTeX file (``@online``)."""
    note = get_object_or_404(Note.objects.published().select_related("author"), slug=slug)
    latest = note.updates.values_list("made_at", flat=True).first()
    entry = citing.bibtex(seo.citable(note, latest))
    response = HttpResponse(entry, content_type="application/x-bibtex; charset=utf-8")
    key = entry.split("{", 1)[1].split(",", 1)[0]
    response["Content-Disposition"] = f'attachment; filename="{key}.bib"'
    return response


def note_references_bibtex(request: HttpRequest, slug: str) -> HttpResponse:
    """Every paper a published note cites ([@key]), as one BibTeX file."""
    note = get_object_or_404(Note.objects.published().only("pk", "slug"), slug=slug)
    papers = list(note.cites.order_by("key"))
    if not papers:
        raise Http404("This note cites no paper.")
    response = HttpResponse(
        "\n".join(paper.bibtex() for paper in papers),
        content_type="application/x-bibtex; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="references.bib"'
    return response


@method_decorator([staff_member_required, never_cache], name="dispatch")
class NotePreviewView(NoteContextMixin, DetailView):
    """Staff see any note, draft or scheduled, exactly as readers will; never cached or indexed."""

    model = Note
    context_object_name = "note"
    template_name = "notes/note_detail.html"
    preview = True

    def get_queryset(self) -> QuerySet[Note]:
        return Note.objects.select_related("category", "author", "series")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["preview"] = True
        return context

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response
