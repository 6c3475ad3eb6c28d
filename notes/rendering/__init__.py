"""The one rendering pipeline: an editor's Markdown to sanitized HTML with MathML, made at
save time and never per request. Pure: it reads no database (import-linter keeps it so);
what it needs of the site comes in a ``RenderContext``."""

from notes.rendering.context import CitedWork, LinkTarget, RenderContext
from notes.rendering.limits import Limit, LimitProblem, RenderLimits, check_limits
from notes.rendering.markdown_ext.citations import find_citation_keys
from notes.rendering.pipeline import (
    RenderResult,
    fits_context,
    normalize_source,
    render_markdown,
)
from notes.rendering.sanitize import ALLOWED_TAGS, sanitize_html

__all__ = [
    "ALLOWED_TAGS", "CitedWork", "Limit", "LimitProblem", "LinkTarget", "RenderContext",
    "RenderLimits", "RenderResult", "check_limits", "find_citation_keys", "fits_context",
    "normalize_source", "render_markdown", "sanitize_html",
]  # fmt: skip
