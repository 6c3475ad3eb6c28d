"""The methods a reader's page answers: it only ever shows something, so GET and HEAD, and
OPTIONS to say so. Any other method is a 405 naming them — decided before the CSRF check,
which would otherwise answer a POST with a misleading 403 "CSRF verification failed"."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
ALLOW = ", ".join(SAFE_METHODS)


def refuse_unsafe(request: HttpRequest) -> HttpResponse | None:
    """The answer to a method a public page does not serve, or None for GET and HEAD."""
    if request.method in ("GET", "HEAD"):
        return None
    if request.method == "OPTIONS":
        response = HttpResponse(content_type="text/plain; charset=utf-8")
    else:
        response = HttpResponse(render_to_string("405.html", request=request), status=405)
    response["Allow"] = ALLOW
    return response
