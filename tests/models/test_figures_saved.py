"""Figures saved with a note: the Markdown snippet the admin shows, pasted into the body,
and the image served."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from django.conf import settings
from django.contrib.messages import get_messages
from django.test import override_settings
from django.urls import path, reverse
from django.utils import timezone
from django.views.static import serve as static_serve

from notes.models import Figure
from site_config.urls import urlpatterns as site_urlpatterns
from tests.factories import make_note
from tests.models.figures import TempMediaTestCase, image_bytes, management, upload


class SavedFigureTests(TempMediaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.note = make_note(
            "Transformer figures",
            category=cls.category,
            published_at=timezone.now() - timedelta(days=1),
            body="Intro.",
        )

    def upload_figure(self, *, alt="Attention heat map", caption="Heads attend to syntax"):
        response = self.change(
            self.note,
            **management("figures", total=1),
            **{
                "figures-0-image": upload("heat.png", image_bytes("PNG", size=(120, 80))),
                "figures-0-alt": alt,
                "figures-0-caption": caption,
                "figures-0-note": str(self.note.pk),
            },
        )
        self.assertEqual(response.status_code, 302)
        return Figure.objects.get(note=self.note)

    def change_page(self) -> str:
        url = reverse("admin:notes_note_change", args=[self.note.pk])
        return self.client.get(url).content.decode()

    def test_change_page_shows_a_thumbnail(self) -> None:
        figure = self.upload_figure()
        html = self.change_page()
        self.assertRegex(html, rf'<img class="figure-thumb" src="{re.escape(figure.image.url)}"')

    def test_change_page_shows_the_markdown_snippet(self) -> None:
        figure = self.upload_figure()
        values = re.findall(
            r'<input class="figure-snippet"[^>]*value="([^"]*)"', self.change_page()
        )
        self.assertEqual(
            [unescape(value) for value in values],
            [f'![Attention heat map]({figure.image.url} "Heads attend to syntax")'],
        )
        self.assertTrue(figure.image.url.startswith("/media/figures/"))

    def keep_figure(self, figure: Figure) -> dict[str, str]:
        """The figure inline as re-submitted when the editor leaves the figure alone."""
        return {
            **management("figures", total=1, initial=1),
            "figures-0-id": str(figure.pk),
            "figures-0-note": str(self.note.pk),
            "figures-0-alt": figure.alt,
            "figures-0-caption": figure.caption,
        }

    def test_note_with_a_figure_can_be_saved_again(self) -> None:
        """Editing the text of a note that already has a figure must not fail on the figure."""
        figure = self.upload_figure()
        response = self.change(self.note, body="Edited text.", **self.keep_figure(figure))
        self.assertEqual(response.status_code, 302)
        self.note.refresh_from_db()
        self.assertEqual(self.note.body, "Edited text.")
        self.assertEqual(Figure.objects.get().image.name, figure.image.name)

    def test_pasted_snippet_renders_a_sized_lazy_figure_with_caption(self) -> None:
        figure = self.upload_figure()
        body = f"Intro.\n\n{figure.markdown}\n\nMore text."
        response = self.change(
            self.note,
            body=body,
            **self.keep_figure(figure),
        )
        self.assertEqual(response.status_code, 302)
        page = self.client.get(self.note.get_absolute_url())
        self.assertContains(
            page,
            f'<figure><img alt="Attention heat map" src="{figure.image.url}" loading="lazy" '
            'width="120" height="80"><figcaption>Heads attend to syntax</figcaption></figure>',
            html=True,
        )

    def test_missing_alt_text_in_the_body_is_warned_about(self) -> None:
        figure = self.upload_figure()
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        response = self.change(
            self.note,
            body=f"Intro.\n\n![]({figure.image.url})",
            **self.keep_figure(figure),
        )
        messages = [str(message) for message in get_messages(response.wsgi_request)]
        self.assertIn(
            f"{self.note.title} (line 3): Image without alt text (describe it for screen "
            f"readers): {figure.image.url}",
            messages,
        )

    def test_no_alt_warning_when_every_image_has_alt_text(self) -> None:
        figure = self.upload_figure()
        response = self.change(
            self.note,
            body=figure.markdown,
            **self.keep_figure(figure),
        )
        messages = [str(message) for message in get_messages(response.wsgi_request)]
        self.assertFalse([message for message in messages if "alt text" in message])


def serve_media(request, path):
    """MEDIA_URL as Django serves it in development (site_config/urls.py, DEBUG only)."""
    return static_serve(request, path, document_root=settings.MEDIA_ROOT)


urlpatterns = [*site_urlpatterns, path("media/<path:path>", serve_media)]


@override_settings(ROOT_URLCONF=__name__)
class MediaServingTests(TempMediaTestCase):
    """Stored under the extension of its real type, a figure is served with that type, and
    the browser is told not to guess another one."""

    def test_a_figure_is_served_as_the_image_type_pillow_found(self) -> None:
        self.add_with_figure(upload("photo.png", image_bytes("WEBP")))
        response = self.client.get(Figure.objects.get().image.url)
        self.assertEqual(response["Content-Type"], "image/webp")
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")

    def test_feed_readers_elsewhere_may_show_it(self) -> None:
        self.add_with_figure(upload("figure.png", image_bytes("PNG")))
        response = self.client.get(Figure.objects.get().image.url)
        self.assertEqual(response["Cross-Origin-Resource-Policy"], "cross-origin")
