"""Importing Markdown files with front matter: fields, dates, slugs, broken files, side files."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from notes.importexport import import_paths
from notes.models import Category, Note
from tests.importexport.helpers import (
    LORA,
    SERIES,
    SERIES_META,
    SHANGHAI,
    export_to,
    front_matter,
    note_file,
    write,
)

pytestmark = pytest.mark.django_db


# --- Import ---------------------------------------------------------------------------


def test_import_creates_the_category_when_missing(tmp_path: Path) -> None:
    import_paths([write(tmp_path, "lora.md", LORA)])
    assert Note.objects.get(slug="lora").category == Category.objects.get(name="Large Model")


def test_import_files_notes_under_an_existing_category(tmp_path: Path) -> None:
    existing = Category.objects.create(name="Large Model", slug="llm")
    import_paths([write(tmp_path, "lora.md", LORA)])
    assert (Note.objects.get(slug="lora").category, Category.objects.count()) == (existing, 1)


def test_import_sets_tags_including_chinese(tmp_path: Path) -> None:
    import_paths([write(tmp_path, "lora.md", LORA)])
    assert set(Note.objects.get(slug="lora").tags.names()) == {"PEFT", "微调"}


def test_import_takes_comma_separated_tags(tmp_path: Path) -> None:
    import_paths([write(tmp_path, "n.md", note_file(tags='"扩散模型, DDPM"'))])
    assert set(Note.objects.get(slug="n").tags.names()) == {"扩散模型", "DDPM"}


def test_date_only_means_midnight_in_the_site_time_zone(tmp_path: Path) -> None:
    import_paths([write(tmp_path, "lora.md", LORA)])
    note = Note.objects.get(slug="lora")
    assert note.published_at == dt.datetime(2026, 1, 14, tzinfo=SHANGHAI)


def test_updated_date_is_restored(tmp_path: Path) -> None:
    import_paths([write(tmp_path, "lora.md", LORA)])
    assert Note.objects.get(slug="lora").updated_at == dt.datetime(2026, 2, 1, tzinfo=SHANGHAI)


def test_without_updated_a_new_note_is_not_shown_as_updated_today(tmp_path: Path) -> None:
    """Importing old notes today must not label them all "updated today" for readers."""
    import_paths([write(tmp_path, "n.md", note_file(date="2026-01-14"))])
    note = Note.objects.get(slug="n")
    assert (note.updated_at, note.was_updated) == (note.published_at, False)


def test_date_time_with_offset_keeps_the_instant(tmp_path: Path) -> None:
    """09:30 in Berlin winter (+01:00) is 16:30 in Shanghai, not 09:30."""
    import_paths([write(tmp_path, "n.md", note_file(date="2026-01-14T09:30:00+01:00"))])
    published = Note.objects.get(slug="n").published_at
    assert published == dt.datetime(2026, 1, 14, 16, 30, tzinfo=SHANGHAI)


@pytest.mark.parametrize("date", ["2026-01-14 09:30:00", '"2026-01-14 09:30"'])
def test_date_time_without_offset_is_site_time(tmp_path: Path, date: str) -> None:
    import_paths([write(tmp_path, "n.md", note_file(date=date))])
    published = Note.objects.get(slug="n").published_at
    assert published == dt.datetime(2026, 1, 14, 9, 30, tzinfo=SHANGHAI)


def test_draft_true_imports_a_draft(tmp_path: Path) -> None:
    import_paths([write(tmp_path, "n.md", note_file(draft="true"))])
    assert Note.objects.get(slug="n").status == Note.Status.DRAFT


def test_draft_false_imports_a_published_note(tmp_path: Path) -> None:
    import_paths([write(tmp_path, "lora.md", LORA)])
    assert Note.objects.published().filter(slug="lora").exists()


def test_reimport_updates_the_note_instead_of_duplicating_it(tmp_path: Path) -> None:
    path = write(tmp_path, "lora.md", LORA)
    import_paths([path])
    path.write_text(
        LORA.replace("LoRA：大模型的低秩适配", "LoRA（修订）").replace("$BA$", "两个矩阵"),
        encoding="utf-8",
    )
    report = import_paths([path])
    note = Note.objects.get(slug="lora")
    assert (Note.objects.count(), report.updated) == (1, ["lora"])
    assert (note.title, "两个矩阵" in note.body_html) == ("LoRA（修订）", True)


def test_jekyll_file_name_gives_the_slug(tmp_path: Path) -> None:
    import_paths([write(tmp_path, "_posts/2026-01-14-lora.md", note_file())])
    assert Note.objects.filter(slug="lora").exists()


def test_hugo_bundle_folder_gives_the_slug(tmp_path: Path) -> None:
    import_paths([write(tmp_path, "content/lora/index.md", note_file())])
    assert Note.objects.filter(slug="lora").exists()


def test_explicit_slug_with_capitals_is_kept(tmp_path: Path) -> None:
    """The admin accepts "LoRA-Paper"; a restored backup must keep that URL."""
    import_paths([write(tmp_path, "x.md", note_file(slug="LoRA-Paper"))])
    assert Note.objects.filter(slug="LoRA-Paper").exists()


def test_file_with_byte_order_mark_imports(tmp_path: Path) -> None:
    """Windows editors save UTF-8 with a BOM; it must not hide the front matter."""
    import_paths([write(tmp_path, "bom.md", "\ufeff" + note_file(title="有 BOM"))])
    assert Note.objects.get(slug="bom").title == "有 BOM"


def test_body_with_nul_byte_imports(tmp_path: Path) -> None:
    """Valid UTF-8, but PostgreSQL rejects NUL in text: the byte is dropped, not the file."""
    report = import_paths([write(tmp_path, "nul.md", note_file(body="before\x00after"))])
    assert (report.errors, Note.objects.get(slug="nul").body) == ([], "beforeafter")


BROKEN_FILES = {
    "bad YAML": ("title: [unclosed\n", "not valid YAML"),
    "missing title": ("slug: untitled\n", "no 'title'"),
    "non-UTF-8": (b"title: \xc4\xe3\xba\xc3\n", "not UTF-8"),
    "tags as a number": ("title: T\ntags: 5\n", "'tags'"),
    "tags as a mapping": ("title: T\ntags: {PEFT: yes}\n", "'tags'"),
    "tags nested": ("title: T\ntags: [[a, b]]\n", "'tags'"),
    "date as words": ("title: T\ndate: last tuesday\n", "'date'"),
    "impossible YAML date": ("title: T\ndate: 2026-13-45\n", "impossible value"),
    "impossible quoted date": ('title: T\ndate: "2026-02-30"\n', "'date'"),
    "draft not a boolean": ("title: T\ndraft: maybe\n", "'draft'"),
    "title too long": ("title: " + "长" * 301 + "\n", "'title'"),
    "tag too long": ("title: T\ntags: [" + "t" * 101 + "]\n", "'tags'"),
    "author too long": ("title: T\nauthor: " + "a" * 151 + "\n", "'author'"),
    "front matter a list": ("- title\n- T\n", "no 'title'"),
}


def broken_folder(tmp_path: Path, meta: str | bytes) -> Path:
    write(tmp_path, "good.md", LORA)
    if isinstance(meta, bytes):
        write(tmp_path, "broken.md", b"---\n" + meta + b"---\nBody.\n")
    else:
        write(tmp_path, "broken.md", "---\n" + meta + "---\nBody.\n")
    return tmp_path


@pytest.mark.parametrize("meta, reason", BROKEN_FILES.values(), ids=BROKEN_FILES.keys())
def test_broken_file_is_reported_with_path_and_reason(
    tmp_path: Path, meta: str | bytes, reason: str
) -> None:
    report = import_paths([broken_folder(tmp_path, meta)])
    assert [(path.name, reason in message) for path, message in report.errors] == [
        ("broken.md", True)
    ]


@pytest.mark.parametrize("meta", [meta for meta, _ in BROKEN_FILES.values()], ids=BROKEN_FILES)
def test_broken_file_does_not_stop_the_other_files(tmp_path: Path, meta: str | bytes) -> None:
    import_paths([broken_folder(tmp_path, meta)])
    assert list(Note.objects.values_list("slug", flat=True)) == ["lora"]


def test_import_command_exits_non_zero_naming_the_broken_file(tmp_path: Path) -> None:
    broken_folder(tmp_path, "title: T\ntags: 5\n")
    stderr = StringIO()
    with pytest.raises(CommandError):
        call_command("import_notes", str(tmp_path), stdout=StringIO(), stderr=stderr)
    assert str(tmp_path / "broken.md") in stderr.getvalue()


def test_import_command_still_imports_the_good_files_before_failing(tmp_path: Path) -> None:
    broken_folder(tmp_path, "title: T\ntags: 5\n")
    with pytest.raises(CommandError):
        call_command("import_notes", str(tmp_path), stdout=StringIO(), stderr=StringIO())
    assert Note.objects.filter(slug="lora").exists()


def test_import_command_succeeds_on_a_clean_folder(tmp_path: Path) -> None:
    write(tmp_path, "lora.md", LORA)
    stdout = StringIO()
    call_command("import_notes", str(tmp_path), stdout=stdout, stderr=StringIO())
    assert "1 created, 0 updated, 0 failed." in stdout.getvalue()


def test_missing_path_is_reported(tmp_path: Path) -> None:
    report = import_paths([tmp_path / "nope.md"])
    assert [path.name for path, _ in report.errors] == ["nope.md"]


def test_unknown_front_matter_keys_are_kept(tmp_path: Path) -> None:
    import_paths([write(tmp_path, "lora.md", LORA.replace("draft:", SERIES_META + "draft:"))])
    assert Note.objects.get(slug="lora").extra_front_matter == {"reading_list": SERIES}


def test_unknown_front_matter_keys_are_written_back_by_export(tmp_path: Path) -> None:
    import_paths(
        [write(tmp_path / "in", "lora.md", LORA.replace("draft:", SERIES_META + "draft:"))]
    )
    exported = export_to(tmp_path / "out") / "lora.md"
    assert front_matter(exported)["reading_list"] == SERIES


def test_unknown_front_matter_keys_are_reported_as_a_notice(tmp_path: Path) -> None:
    path = write(tmp_path, "lora.md", LORA.replace("draft:", SERIES_META + "draft:"))
    report = import_paths([path])
    assert [(p, "reading_list" in message) for p, message in report.notices] == [(path, True)]


def test_categories_file_restores_descriptions_and_order(tmp_path: Path) -> None:
    write(
        tmp_path,
        "_categories.yml",
        "- name: Large Model\n  slug: large-model\n  description: 大语言模型。\n  order: 2\n"
        "- name: 3D Model\n  slug: 3d-model\n  description: 三维视觉。\n  order: 1\n",
    )
    write(tmp_path, "lora.md", LORA)
    import_paths([tmp_path])
    assert list(Category.objects.values_list("name", "slug", "description", "order")) == [
        ("3D Model", "3d-model", "三维视觉。", 1),
        ("Large Model", "large-model", "大语言模型。", 2),
    ]


def test_broken_categories_file_is_reported(tmp_path: Path) -> None:
    """A negative order violates a database constraint; the import must report, not crash."""
    path = write(tmp_path, "_categories.yml", "- name: Large Model\n  order: -1\n")
    write(tmp_path, "lora.md", LORA)
    report = import_paths([tmp_path])
    assert [p for p, _ in report.errors] == [path]
