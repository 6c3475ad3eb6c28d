"""The preview a shared link opens: an unpublished note for someone without an account."""

from __future__ import annotations

import re
from html import unescape

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import DetailView

from notes.delivery import methods
from notes.models import Note, Paper, PreviewLink
from notes.views.note import NoteContextMixin

# Kept by no cache (the browser's, a proxy's, the site's page cache): a revoked link must
# stop working on the next request. Never indexed, and the secret address is not passed on.
PRIVATE_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
}
# A [[link]] as the renderer writes it (notes.rendering.markdown_ext.wikilinks): text only.
_WIKILINK = re.compile(r'<a\b[^>]*\bclass="wikilink"[^>]*>(.*?)</a>', re.S)
_HREF = re.compile(r'\bhref="([^"]*)"')


def unlink_unpublished(html: str, public_urls: set[str]) -> str:
    """The body with its [[links]] to notes readers cannot see turned into plain text: a
    draft may link to other drafts (the editor is warned), and whoever holds the link may
    see this note only, not the titles and addresses of the others."""

    def replace(match: re.Match[str]) -> str:
        href = _HREF.search(match.group(0))
        if href and unescape(href.group(1)) in public_urls:
            return match.group(0)
        return f'<span class="wikilink-unpublished">{match.group(1)}</span>'

    return _WIKILINK.sub(replace, html)


# Only GET and HEAD, as for readers' pages: anything else is a 405 before the CSRF check.
@method_decorator(csrf_exempt, name="dispatch")
class SharedPreviewView(NoteContextMixin, DetailView):
    """The note's page as readers will see it, with a banner saying it is a preview and
    when the link expires. The page around the note shows published notes only, as the staff
    preview does; nothing is written and nothing kept (see ``PRIVATE_HEADERS``)."""

    model = Note
    context_object_name = "note"
    template_name = "notes/note_detail.html"
    preview = True
    public_links: frozenset[str] | set[str] = frozenset()

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        refused = methods.refuse_unsafe(request)
        if refused is not None:
            return refused
        self.link = PreviewLink.from_token(kwargs["token"])
        if self.link is None:
            raise Http404("This preview link is not valid, has expired or was revoked.")
        response = super().dispatch(request, *args, **kwargs)
        for name, value in PRIVATE_HEADERS.items():
            response[name] = value
        return response

    def get_object(self, queryset=None) -> Note:
        return self.link.note

    def neighbours(self, note: Note, papers: list[Paper]) -> list[Note]:
        around = super().neighbours(note, papers)
        # The published notes the body links to, at the addresses the body holds (the
        # default language's): read with the rest of the page, no query of their own.
        with translation.override(settings.LANGUAGE_CODE):
            self.public_links = {other.get_absolute_url() for other in around if other.is_linked_to}
        return around

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        # Only this page's copy: the note as stored is not changed.
        self.object.body_html = unlink_unpublished(self.object.body_html, self.public_links)
        context["preview"] = True
        context["shared_link"] = self.link
        # The token is the page's secret: not repeated as its canonical or og:url address.
        context["canonical_url"] = ""
        return context
