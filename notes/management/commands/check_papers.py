"""``manage.py check_papers``: ask arXiv and Crossref what changed about the site's papers."""

from django.core.management.base import BaseCommand, CommandParser

from notes import papercheck
from notes.models import Paper


class Command(BaseCommand):
    help = (
        "Re-check each paper's arXiv and Crossref/DataCite record and queue what changed (a "
        "new arXiv version, a published version, a correction or retraction) for editors to "
        "accept or dismiss in the admin (Paper findings). Meant for cron or a systemd timer; "
        "arXiv is asked at most once every 3 seconds. Running it twice queues nothing twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--paper", action="append", default=[], help="Only this paper (arXiv id, DOI or key)."
        )

    def handle(self, *args, paper: list[str], **options) -> None:
        papers = Paper.objects.exclude(arxiv="", doi="").order_by("pk")
        if paper:
            found = [Paper.objects.find(ident) for ident in paper]
            papers = [item for item in found if item is not None]
        report = papercheck.check(papers)
        for item, reason in report.failed:
            self.stderr.write(self.style.WARNING(f"{item.key}: {reason}"))
        for finding in report.new:
            self.stdout.write(f"{finding.paper.key}: {finding.get_kind_display()}: {finding.value}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.checked} checked, {len(report.new)} new findings, "
                f"{len(report.failed)} could not be checked."
            )
        )
