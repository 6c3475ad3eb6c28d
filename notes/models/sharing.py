"""Preview links: a signed, expiring address of a note's preview for readers without an account."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import models
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _

from notes.models.note import Note

# Separates these signatures from every other use of the secret key.
SALT = "notes.preview-link"
# The lifetimes an editor may choose, in days; the longest is also the signature's own limit.
LIFETIMES = (1, 7, 30)
MAX_AGE = timedelta(days=max(LIFETIMES))


class _LinkSigner(signing.TimestampSigner):
    """A TimestampSigner that stamps the link's creation time rather than now, so a link's
    address is the same every time the admin shows it."""

    def __init__(self, at: datetime | None = None) -> None:
        super().__init__(salt=SALT)
        self.at = at

    def timestamp(self) -> str:
        if self.at is None:
            return super().timestamp()
        return signing.b62_encode(int(self.at.timestamp()))


class PreviewLinkQuerySet(models.QuerySet):
    def active(self, now: datetime | None = None) -> PreviewLinkQuerySet:
        """The links that still open their preview: not expired (revoked ones are deleted)."""
        return self.filter(expires_at__gt=now or timezone.now())


class PreviewLink(models.Model):
    """An address that shows one note's preview — a draft or a scheduled note — to whoever
    has it, say the paper's authors, until it expires or an editor deletes it (revokes it).

    The address carries the link's id signed with the site's secret key and the link's
    creation time (``token``); the row is the server-side state that makes revoking work at
    once: no row, no page."""

    note = models.ForeignKey(
        Note, on_delete=models.CASCADE, related_name="preview_links", verbose_name=_("note")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"), db_index=True)

    objects = PreviewLinkQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = _("preview link")
        verbose_name_plural = _("preview links")

    def __str__(self) -> str:
        # When it was made: what tells one of a note's links from another (the admin's row
        # label and log messages), in the site's time zone.
        return f"{timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        # The interface of the default language, whatever the editor's: one address to share.
        with translation.override(settings.LANGUAGE_CODE):
            return reverse("notes:shared-preview", kwargs={"token": self.token})

    @property
    def token(self) -> str:
        return _LinkSigner(self.created_at).sign(str(self.pk))

    @property
    def is_active(self) -> bool:
        return self.expires_at > timezone.now()

    @classmethod
    def from_token(cls, token: str) -> PreviewLink | None:
        """The active link a token names, with its note, or None for a token that was
        tampered with, is older than any link lives, or names a link expired or revoked."""
        try:
            value = _LinkSigner().unsign(token, max_age=MAX_AGE)
        except signing.BadSignature:  # SignatureExpired included
            return None
        if not (value.isascii() and value.isdigit()) or len(value) > 18:
            return None
        link = (
            cls.objects.active()
            .select_related("note__category", "note__series", "note__author")
            .filter(pk=int(value))
            .first()
        )
        # Signed for this very row (its creation time too): were an id ever used again, the
        # revoked link's address would not open the new one.
        if link is None or not constant_time_compare(link.token, token):
            return None
        return link
