from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from notes import views
from notes.delivery.caching import public
from notes.sitemaps import SITEMAPS

# Lazy: the admin shows it in the editor's language.
admin.site.site_header = format_lazy("{} · {}", settings.SITE_NAME, _("editors"))
admin.site.site_title = settings.SITE_NAME

urlpatterns = [
    path("admin/", admin.site.urls),
    # One per site, whatever the language: they list every language's addresses themselves.
    path("robots.txt", public(views.robots_txt), name="robots"),
    path("sitemap.xml", public(views.sitemap_index), name="sitemap"),
    path(
        "sitemap-<slug:section>.xml",
        public(sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap-section",
    ),
    # Readers' pages: the default language at today's paths, the other under its prefix.
    *i18n_patterns(path("", include("notes.urls")), prefix_default_language=False),
]
# Development only (a no-op when DEBUG is off); production serves MEDIA_ROOT from the web server.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# A database that cannot be reached while a 404 page or a middleware asks it: the 503 page
# (notes.delivery.unavailable), not a 500; anything else is Django's own 500 page.
handler500 = "notes.delivery.unavailable.server_error"
