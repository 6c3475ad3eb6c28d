"""Watching papers after their notes are written (``manage.py check_papers``): a new arXiv
version, a published version, a correction or a retraction becomes a finding in the editors'
queue; an accepted finding is shown to readers and joins each note's update log."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from notes import paperfetch
from notes.models import Note, NoteUpdate, Paper, PaperFinding
from notes.models.updates import SUMMARY_LENGTH

# Crossref's update types that withdraw a work; the others (correction, erratum, addendum,
# expression_of_concern, new_version …) are shown as an update with Crossref's label.
RETRACTIONS = {"retraction", "partial_retraction", "withdrawal", "removal"}
Kind = PaperFinding.Kind


def findings_for(paper: Paper, details: paperfetch.PaperDetails) -> list[PaperFinding]:
    """What this answer says that the paper record does not know yet (unsaved findings)."""
    found: list[PaperFinding] = []
    latest = details.arxiv_version
    if paper.arxiv and latest and paper.arxiv_version and latest > paper.arxiv_version:
        found.append(
            PaperFinding(
                paper=paper,
                kind=Kind.NEW_VERSION,
                value=f"v{latest}",
                detail={"written": paper.arxiv_version, "latest": latest},
            )
        )
    if paper.arxiv and not paper.doi and details.doi and not details.doi.startswith("10.48550/"):
        found.append(
            PaperFinding(
                paper=paper,
                kind=Kind.PUBLISHED,
                value=details.doi[:300],
                detail={"doi": details.doi, "venue": details.venue[:200]},
            )
        )
    for update in details.updates:
        if update.get("relation") != "updated-by":
            continue
        kind = Kind.RETRACTION if update.get("type") in RETRACTIONS else Kind.UPDATE
        date = update.get("date")
        found.append(
            PaperFinding(
                paper=paper,
                kind=kind,
                value=f"{update.get('type')}:{update.get('doi')}:{date}"[:300],
                detail={
                    "type": update.get("type", ""),
                    "doi": update.get("doi", ""),
                    "label": (update.get("label") or "")[:200],
                    "date": date.isoformat() if date else "",
                },
            )
        )
    return found


@dataclass
class CheckReport:
    checked: int = 0
    new: list[PaperFinding] = field(default_factory=list)
    failed: list[tuple[Paper, str]] = field(default_factory=list)


def check(
    papers: Iterable[Paper],
    *,
    fetch: Callable[[str], paperfetch.PaperDetails] = paperfetch.fetch,
) -> CheckReport:
    """Ask arXiv (for arXiv papers) and Crossref/DataCite (for DOIs) about each paper and queue
    what is new. Idempotent: a finding already queued, accepted or dismissed is not queued
    again, and a paper seen for the first time only records the arXiv version it is at."""
    report = CheckReport()
    for paper in papers:
        report.checked += 1
        identifiers = [paper.arxiv] if paper.arxiv else []
        if paper.doi and not paper.doi.startswith("10.48550/"):
            identifiers.append(paper.doi)
        for identifier in identifiers:
            try:
                with translation.override("en"):
                    details = fetch(identifier)
            except paperfetch.FetchError as exc:
                report.failed.append((paper, f"{identifier}: {exc}"))
                continue
            if identifier == paper.arxiv and paper.arxiv_version is None and details.arxiv_version:
                # The version the notes are taken to be written on, from now on.
                paper.arxiv_version = details.arxiv_version
                Paper.objects.filter(pk=paper.pk).update(arxiv_version=paper.arxiv_version)
            for finding in findings_for(paper, details):
                _, created = PaperFinding.objects.get_or_create(
                    paper=paper,
                    kind=finding.kind,
                    value=finding.value,
                    defaults={"detail": finding.detail},
                )
                if created:
                    report.new.append(finding)
    return report


@transaction.atomic
def accept(finding: PaperFinding) -> None:
    """Show it to readers: on the paper's page, on its notes' pages, and as a line in each
    published note's update log (and so in the feeds). A published version also fills the
    paper's empty DOI and venue."""
    finding.status = PaperFinding.Status.ACCEPTED
    finding.decided_at = timezone.now()
    finding.save(update_fields=["status", "decided_at"])
    paper = finding.paper
    if finding.kind == Kind.PUBLISHED:
        changed = []
        for name in ("doi", "venue"):
            if not getattr(paper, name) and finding.detail.get(name):
                setattr(paper, name, finding.detail[name])
                changed.append(name)
        if changed:
            paper.save(update_fields=changed)
    with translation.override(settings.LANGUAGE_CODE):
        line = f"{paper.title}: {finding.notice}"[:SUMMARY_LENGTH]
    NoteUpdate.objects.bulk_create(
        NoteUpdate(note=note, summary=line)
        for note in Note.objects.published().filter(paper_links__paper=paper).distinct()
    )


def dismiss(finding: PaperFinding) -> None:
    finding.status = PaperFinding.Status.DISMISSED
    finding.decided_at = timezone.now()
    finding.save(update_fields=["status", "decided_at"])
