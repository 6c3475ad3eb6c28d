"""The rendering of a note's own body, made on save by the one pipeline (notes.rendering) and
only read by pages, feeds and search."""

from __future__ import annotations

from html import escape

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from notes.models import links
from notes.rendering import (
    Limit,
    LimitProblem,
    RenderContext,
    RenderLimits,
    RenderResult,
    check_limits,
    fits_context,
    normalize_source,
    render_markdown,
)
from notes.rendering.excerpt import excerpt_html
from notes.rendering.plaintext import truncate_text


def limit_message(problem: LimitProblem) -> str:
    """What the admin tells an editor whose body is over one of the rendering limits."""
    if problem.limit == Limit.LENGTH:
        return _(
            "The body has %(found)s characters; a note holds at most %(allowed)s. "
            "Split it into several notes."
        ) % {"found": f"{problem.found:,.0f}", "allowed": f"{problem.allowed:,.0f}"}
    if problem.limit == Limit.NESTING:
        return _(
            "Lists or quotes are nested %(found)s levels deep (line %(line)s); at most "
            "%(allowed)s levels are shown. Flatten them."
        ) % {
            "found": f"{problem.found:.0f}",
            "line": problem.line,
            "allowed": f"{problem.allowed:.0f}",
        }
    return _(
        "The body took more than %(seconds)s seconds to render. Look for brackets, backticks "
        "or math delimiters that are never closed, or split the note."
    ) % {"seconds": f"{problem.allowed:g}"}


class Language(models.TextChoices):
    # BCP 47 tags, as <article lang> and feeds write them.
    CHINESE = "zh-Hans", _("Chinese")
    ENGLISH = "en", _("English")


class RenderedBody(models.Model):
    """The body as readers get it: HTML, excerpt, contents, reading time and language."""

    lang = models.CharField(
        max_length=10,
        editable=False,
        default=Language.CHINESE,
        help_text="The language the note is served in: the editor's choice or the detected one.",
    )
    has_math = models.BooleanField(editable=False, default=False)
    body_html = models.TextField(editable=False, default="")
    excerpt = models.TextField(editable=False, default="")
    # The same opening as HTML, math and code kept (sanitized): what cards and search show.
    excerpt_html = models.TextField(editable=False, default="")
    render_warnings = models.JSONField(editable=False, default=list, blank=True)
    toc_html = models.TextField(editable=False, default="")
    reading_minutes = models.PositiveSmallIntegerField(editable=False, default=1)

    # Derived from the body at save time; pages and feeds only ever read them.
    RENDERED_FIELDS = (
        "body_html", "excerpt", "excerpt_html", "render_warnings", "toc_html", "reading_minutes",
        "title_key", "lang", "has_math",
    )  # fmt: skip

    class Meta:
        abstract = True

    def clean_fields(self, exclude=None) -> None:
        """Django's checks of each field, and the body's limits (notes.rendering): a body too
        long, too deeply nested or too slow to render is refused with a message before it is
        saved, and the form shows the text as typed."""
        errors: dict = {}
        try:
            super().clean_fields(exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if "body" not in (exclude or ()) and "body" not in errors:
            problem = check_limits(normalize_source(self.body), self.render_limits())
            if problem is None:
                problem = self.rendered().refused
            if problem is not None:
                errors["body"] = [ValidationError(limit_message(problem), code=problem.limit)]
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def render_limits() -> RenderLimits:
        return RenderLimits.from_settings(settings)

    def rendered(self) -> RenderResult:
        """The body rendered with what the site knows now. The admin form's check keeps it for
        the save that follows, so an edit is rendered once."""
        key = (normalize_source(self.body), self.slug, self.title)
        kept = getattr(self, "_rendered", None)
        if kept is not None and kept[0] == key:
            return kept[1]
        context = self.render_context()
        # An import may hand in the body rendered ahead by a worker (notes.importexport.ahead).
        ahead, self.rendered_ahead = getattr(self, "rendered_ahead", None), None
        if ahead is not None and ahead[0] == key[0] and fits_context(ahead[1], context):
            result = ahead[1]
        else:
            result = render_markdown(key[0], context)
        self._rendered = (key, result)
        return result

    def render(self) -> RenderResult:
        """Store the rendered body, excerpt, TOC and reading time; pages only read them."""
        result = self.rendered()
        self._rendered = None  # figures and linked notes may change before the next render
        self.body_html = result.html
        self.render_warnings = list(result.warnings)
        self.toc_html = result.toc_html
        self.reading_minutes = result.reading_minutes
        self.lang = self.language or result.language
        self.has_math = result.has_math
        if self.summary:
            self.excerpt = truncate_text(self.summary)
            self.excerpt_html = escape(self.excerpt)
        else:
            self.excerpt = result.excerpt
            self.excerpt_html = (
                result.excerpt_html
                if self.lang == result.language  # it names tables in the note's language
                else excerpt_html(result.html, language=self.lang)
            )
        return result

    def render_context(self) -> RenderContext:
        """Everything rendering needs from the database (notes.models.links)."""
        return links.render_context(self)
