"""``/papers/``: the papers published notes discuss, by year and venue, and one page per
paper with its details, BibTeX, the notes about it and the notes that cite it."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import DetailView, ListView

from notes.delivery import state
from notes.models import Note, NotePaper, Paper, PaperFinding
from notes.views.lists import PagesMixin

# What the index shows of a paper.
_INDEX_FIELDS = ("id", "title", "authors", "venue", "year", "arxiv", "doi", "key")


def public_papers() -> QuerySet[Paper]:
    """Papers readers may see: those a published note lists or cites (``published()``)."""
    return Paper.objects.discussed()


class PaperListView(PagesMixin, ListView):
    template_name = "notes/paper_list.html"
    context_object_name = "papers"
    paginate_by = 100

    def get_queryset(self) -> QuerySet[Paper]:
        papers = public_papers().only(*_INDEX_FIELDS).order_by("-year", "venue", "title", "id")
        # PostgreSQL refuses NUL in a query; no paper holds one.
        query = " ".join(self.request.GET.get("q", "").replace("\x00", " ").split())[:200]
        for word in query.split():
            papers = papers.filter(
                Q(title__icontains=word)
                | Q(authors__icontains=word)
                | Q(venue__icontains=word)
                | Q(arxiv__icontains=word)
                | Q(doi__icontains=word)
                | Q(key__iexact=word)
            )
        self.query = query
        return papers

    def known_count(self) -> int | None:
        # The whole index is counted with the site state; a search of it counts its matches.
        return None if self.query else state.current(self.request).papers_count()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["query"] = self.query
        return context


class PaperDetailView(DetailView):
    template_name = "notes/paper_detail.html"
    context_object_name = "paper"

    def get_object(self, queryset=None) -> Paper:
        paper = public_papers().find(self.kwargs["ident"])
        if paper is None:
            raise Http404("No paper a published note discusses has this address.")
        return paper

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        self.object = self.get_object()
        # One address per paper: /papers/arXiv:2106.09685v2/ or its key answer with the
        # paper's own address.
        if request.path != self.object.get_absolute_url():
            return redirect(self.object, permanent=True)
        return self.render_to_response(self.get_context_data(object=self.object))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        paper = self.object
        # Both lists in one query: the notes listing it and the notes citing it, found from
        # the paper's own links rather than by testing every published note.
        linked = NotePaper.objects.filter(paper=paper).order_by().values("note")
        citing = Note.cites.through.objects.filter(paper=paper).values("note")
        lists = Exists(NotePaper.objects.filter(note=OuterRef("pk"), paper=paper))
        cites = Exists(Note.cites.through.objects.filter(note=OuterRef("pk"), paper=paper))
        notes = list(
            Note.objects.published()
            .filter(pk__in=linked.union(citing))
            .annotate(lists=lists, cites_it=cites)
            .only("title", "slug", "lang", "published_at")
            .order_by("-published_at", "-id")
        )
        context["notes"] = [note for note in notes if note.lists]
        context["citing"] = [note for note in notes if note.cites_it]
        context["findings"] = list(paper.findings.filter(status=PaperFinding.Status.ACCEPTED))
        context["bibtex"] = paper.bibtex()
        context["title"] = paper.title
        return context


def paper_bibtex(request: HttpRequest, ident: str) -> HttpResponse:
    """A paper's BibTeX entry, as a download; only for papers readers can see."""
    paper = public_papers().find(ident)
    if paper is None:
        raise Http404("No paper a published note discusses has this address.")
    response = HttpResponse(paper.bibtex(), content_type="application/x-bibtex; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{paper.key or "paper"}.bib"'
    return response


def old_paper_bibtex(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Where a paper's BibTeX was before papers had pages of their own: moved for good."""
    paper = get_object_or_404(public_papers(), pk=pk)
    return redirect(paper.get_bibtex_url(), permanent=True)
