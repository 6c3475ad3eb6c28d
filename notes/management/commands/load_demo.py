"""``load_demo``: the demo notes and an editor, for a first look at the site."""

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from notes.importexport import import_paths
from notes.models import Note

DEMO_DIR = Path(settings.BASE_DIR) / "demo" / "notes"


class Command(BaseCommand):
    help = (
        "First run: load the demo notes and create an 'admin' superuser with a random "
        "password. Later runs keep the existing data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username: str, **options) -> None:
        if Note.objects.exists():
            self.stdout.write("Notes already exist: demo content not loaded again.")
        else:
            report = import_paths([DEMO_DIR])
            if report.errors:
                details = "; ".join(f"{path}: {message}" for path, message in report.errors)
                raise CommandError(f"Demo content is broken: {details}")
            self.stdout.write(self.style.SUCCESS(f"Loaded {len(report.created)} demo notes."))
        self.ensure_admin(username)

    def ensure_admin(self, username: str) -> None:
        user_model = get_user_model()
        if user_model._default_manager.filter(username=username).exists():
            self.stdout.write(
                f"Admin: http://127.0.0.1:8000/admin/ as '{username}' (existing account; "
                f"reset its password with: python manage.py changepassword {username})"
            )
            return
        password = secrets.token_urlsafe(12)
        user_model._default_manager.create_superuser(username, "", password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Admin: http://127.0.0.1:8000/admin/  username: {username}  password: {password}"
            )
        )
