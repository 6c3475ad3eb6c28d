"""Middleware: the strict CSP, the security headers of every answer, and the admin's language."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ContentSecurityPolicyMiddleware:
    """A strict CSP for every page: the site ships no inline scripts or styles, so a stray
    script that got past the sanitizer still could not run. Reader pages may show images
    from elsewhere (https); the admin only its own and data: icons (its widgets' own)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/admin/"):
            policy = settings.ADMIN_CONTENT_SECURITY_POLICY
        else:
            policy = settings.CONTENT_SECURITY_POLICY
        response.headers.setdefault("Content-Security-Policy", policy)
        return response


class SecurityHeadersMiddleware:
    """Permissions-Policy and Cross-Origin-Resource-Policy on every response, static files
    included (it sits above WhiteNoise).

    Pages, feeds and the admin are ``same-origin``: no other site may embed them as a
    resource. Uploaded figures are ``cross-origin``: feed readers and link previews show them
    from their own origins, and they are public anyway."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.media_prefix = "/" + settings.MEDIA_URL.lstrip("/")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        shared = request.path.startswith(self.media_prefix)
        response.headers.setdefault(
            "Cross-Origin-Resource-Policy", "cross-origin" if shared else "same-origin"
        )
        return response


class EditorLocaleMiddleware(LocaleMiddleware):
    """Readers' pages take their language from the URL (/en/... or the default's paths), so
    each address serves one language and stays cacheable. The admin has no language in its
    URL: it follows the editor's browser (Accept-Language) or language cookie."""

    def process_request(self, request: HttpRequest) -> None:
        if request.path_info.startswith("/admin/"):
            translation.activate(translation.get_language_from_request(request))
            request.LANGUAGE_CODE = translation.get_language()
            return
        super().process_request(request)

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        """Readers' answers do not vary by Accept-Language: the default language's addresses
        have no prefix and are never redirected by it. Django says they vary, which would
        have a CDN keep a copy of every page for every browser's language list."""
        if request.path_info.startswith("/admin/"):
            return super().process_response(request, response)
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
