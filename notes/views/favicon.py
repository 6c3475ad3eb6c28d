"""``/favicon.ico``: the site's icon where browsers look for it without being told."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from django.views.decorators.csrf import csrf_exempt

from notes.delivery import methods

# Browsers and feed readers ask for it on every site; it changes only with a deploy, and its
# address carries no version, so a day rather than the hashed static files' year.
MAX_AGE = 24 * 3600


@functools.cache
def _icon() -> tuple[bytes, str]:
    """static/favicon.ico (rendered once from static/favicon.svg) and its ETag."""
    content = Path(finders.find("favicon.ico")).read_bytes()
    return content, '"' + hashlib.sha256(content).hexdigest()[:16] + '"'


@csrf_exempt  # only GET and HEAD are served: anything else is a 405, not a CSRF failure
def favicon(request: HttpRequest) -> HttpResponse:
    refused = methods.refuse_unsafe(request)
    if refused is not None:
        return refused
    content, etag = _icon()
    response = HttpResponse(content, content_type="image/x-icon")
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return get_conditional_response(request, etag=etag, response=response) or response
