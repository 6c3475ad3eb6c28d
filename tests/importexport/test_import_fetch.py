"""Importing papers named only by an identifier: found on the site, fetched with --fetch from
recorded arXiv/Crossref answers, or refused with a message saying what to do."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from notes.importexport import import_paths
from notes.models import Note, Paper
from tests.recorded import network_down, replaying

pytestmark = pytest.mark.django_db


def note_naming(folder: Path, name: str, paper: str) -> Path:
    path = folder / f"{name}.md"
    path.write_text(
        f"---\ntitle: {name}\ncategory: Large Model\ndraft: false\npaper: {paper}\n---\n"
        "正文 [@arxiv:1605.08386]。\n",
        encoding="utf-8",
    )
    return path


def test_without_fetch_an_unknown_identifier_is_refused_and_nothing_is_asked(tmp_path) -> None:
    with replaying({}) as requests:
        report = import_paths([note_naming(tmp_path, "a", '"arxiv:1605.08386"')])
    assert requests == []
    ((_path, message),) = report.errors
    assert "paper arxiv:1605.08386 is not on the site yet" in message
    assert "--fetch" in message
    assert not Note.objects.exists()


def test_a_paper_on_the_site_is_found_offline(tmp_path) -> None:
    paper = Paper.objects.create(title="Heat-bath random walks", arxiv="1605.08386")
    with replaying({}) as requests:
        report = import_paths([note_naming(tmp_path, "a", "arXiv:1605.08386v1")])
    assert requests == [] and report.errors == []
    note = Note.objects.get()
    assert list(note.papers.all()) == [paper]
    # The note cites it too, and its reference list names it.
    assert list(note.cites.all()) == [paper]
    assert "Heat-bath random walks" in note.body_html


def test_with_fetch_the_paper_is_filled_in_from_arxiv(tmp_path) -> None:
    with replaying({"export.arxiv.org": "arxiv-1605.08386.json"}) as requests:
        report = import_paths([note_naming(tmp_path, "a", "1605.08386")], fetch=True)
    assert report.errors == [] and len(requests) == 1
    paper = Note.objects.get().papers.get()
    assert paper.title == "Heat-bath random walks with Markov bases"
    assert paper.authors == "Caprice Stanley\nTobias Windisch"
    assert (paper.year, str(paper.published)) == (2016, "2016-05-26")
    assert paper.abstract.startswith("Graphs on lattice points")
    assert paper.key == "stanley2016heatbath"


def test_with_fetch_a_doi_is_asked_of_crossref(tmp_path) -> None:
    with replaying({"api.crossref.org": "crossref-10.7554-elife.01567.json"}):
        report = import_paths([note_naming(tmp_path, "a", '"doi:10.7554/eLife.01567"')], fetch=True)
    assert report.errors == []
    paper = Note.objects.get().papers.get()
    assert (paper.doi, paper.venue) == ("10.7554/elife.01567", "eLife")


def test_a_failed_fetch_fails_that_file_only_with_the_reason(tmp_path) -> None:
    good = tmp_path / "good.md"
    good.write_text("---\ntitle: good\ncategory: Large Model\n---\nBody.\n", encoding="utf-8")
    with replaying({"export.arxiv.org": network_down}):
        report = import_paths([good, note_naming(tmp_path, "bad", "1605.08386")], fetch=True)
    ((path, message),) = report.errors
    assert path.name == "bad.md"
    assert "its details could not be fetched" in message and "could not be reached" in message
    assert list(Note.objects.values_list("title", flat=True)) == ["good"]
    assert not Paper.objects.exists()


def test_the_command_takes_fetch(tmp_path) -> None:
    path = note_naming(tmp_path, "a", "1605.08386")
    with replaying({}), pytest.raises(CommandError):
        call_command("import_notes", str(path), stdout=StringIO(), stderr=StringIO())
    with replaying({"export.arxiv.org": "arxiv-1605.08386.json"}):
        call_command("import_notes", str(path), "--fetch", stdout=StringIO())
    assert Paper.objects.get().arxiv == "1605.08386"


def test_junk_in_place_of_a_paper_is_refused_with_what_is_expected(tmp_path) -> None:
    report = import_paths([note_naming(tmp_path, "a", "not-an-id")])
    ((_path, message),) = report.errors
    assert "an arXiv id or DOI" in message
