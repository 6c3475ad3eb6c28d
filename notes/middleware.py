from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ContentSecurityPolicyMiddleware:
    """A strict CSP for reader pages: the site ships no inline scripts or styles, so a stray
    script that got past the sanitizer still could not run. The admin is left to Django."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/admin/"):
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
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
