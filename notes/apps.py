"""The notes app: its name and what it registers when Django starts."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notes"
    verbose_name = _("Research notes")

    def ready(self) -> None:
        from notes import (
            checks,  # noqa: F401 (registers the system checks)
            derive,
        )

        derive.connect()
