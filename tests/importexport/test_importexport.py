"""Markdown files with YAML front matter in and out: import, export, backups, commands."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import TestCase, override_settings
from django.utils import timezone
from taggit.models import Tag

from notes.importexport import import_paths
from notes.models import Category, Note, NotePaper, Paper, TagAlias
from notes.rendering import render_markdown

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEMO_DIR = Path(settings.BASE_DIR) / "demo" / "notes"

LORA = """\
---
title: "LoRA：大模型的低秩适配"
slug: lora
date: 2026-01-14
updated: 2026-02-01
category: Large Model
tags: [PEFT, 微调]
summary: "冻结原始权重，只训练一对低秩矩阵。"
draft: false
---
## 方法

只训练低秩矩阵 $BA$。
"""

pytestmark = pytest.mark.django_db


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def note_file(title: str = "A note", body: str = "Body.", **meta: str) -> str:
    """Front matter from keyword arguments, values written verbatim as YAML."""
    lines = [f"title: {title}", *(f"{key}: {value}" for key, value in meta.items())]
    return "---\n" + "\n".join(lines) + "\n---\n" + body + "\n"


def export_to(directory: Path) -> Path:
    call_command("export_notes", str(directory), stdout=StringIO())
    return directory


def front_matter(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])


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


PAPER_META = """\
paper:
  title: "LoRA: Low-Rank Adaptation of Large Language Models"
  authors: ["Edward J. Hu", "Yelong Shen"]
  year: 2022
  arxiv: "2106.09685"
"""
PAPER = {
    "title": "LoRA: Low-Rank Adaptation of Large Language Models",
    "authors": ["Edward J. Hu", "Yelong Shen"],
    "year": 2022,
    "arxiv": "2106.09685",
}


# A key a later version may use (reading_list), with nested values: kept, exported, reported.
SERIES_META = """\
reading_list:
  name: "PEFT 系列"
  part: 2
"""
SERIES = {"name": "PEFT 系列", "part": 2}


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


# --- Export ---------------------------------------------------------------------------


def test_export_writes_drafts_too(tmp_path: Path) -> None:
    category = Category.objects.create(name="Large Model")
    Note.objects.create(title="Work in progress", slug="wip", category=category)
    exported = export_to(tmp_path) / "wip.md"
    assert front_matter(exported)["draft"] is True


def test_export_then_import_restores_a_draft_as_a_draft(tmp_path: Path) -> None:
    category = Category.objects.create(name="Large Model")
    Note.objects.create(title="Work in progress", slug="wip", category=category)
    export_to(tmp_path)
    Note.objects.all().delete()
    import_paths([tmp_path])
    assert Note.objects.get(slug="wip").status == Note.Status.DRAFT


def build_library() -> None:
    """Notes of every kind a real site holds."""
    user_model = get_user_model()
    author = user_model.objects.create_user("edward", first_name="Edward", last_name="Hu")
    llm = Category.objects.create(
        name="Large Model", description="大语言模型：架构、训练、对齐。", order=1
    )
    gen = Category.objects.create(name="生成模型", order=2)
    Category.objects.create(name="Empty", description="No notes yet.", order=3)
    now = dt.datetime(2026, 3, 1, 10, 15, 30, 123456, tzinfo=SHANGHAI)

    lora = Note.objects.create(
        title="LoRA：大模型的低秩适配",
        slug="lora",
        category=llm,
        author=author,
        status=Note.Status.PUBLISHED,
        published_at=now,
        summary="冻结原始权重，只训练一对低秩矩阵。",
        body=(
            "## 方法\n\n$$\nh = W_0 x + \\frac{\\alpha}{r} B A x\n$$\n\n"
            "行内公式 $r \\ll d$。\n\n```python\nclass LoRA(nn.Module):\n    pass\n```\n"
        ),
        extra_front_matter={"reading_list": SERIES, "aliases": ["/old/lora/"]},
    )
    lora.tags.set(["PEFT", "微调"])
    lora_paper = lora.papers.create(
        title=PAPER["title"],
        authors="\n".join(PAPER["authors"]),
        venue="ICLR",
        year=2022,
        arxiv="arXiv:2106.09685v2",
        code_url="https://github.com/microsoft/LoRA",
    )
    # A paper with a key its editor chose, a date, a PDF and an abstract; a paper without
    # any identifier; and one whose made key was taken (hu2022lora-b).
    qlora_paper = Paper.objects.create(
        title="QLoRA: Efficient Finetuning of Quantized LLMs",
        authors="Tim Dettmers\nArtidoro Pagnoni",
        venue="NeurIPS",
        year=2023,
        published=dt.date(2023, 5, 23),
        arxiv="2305.14314",
        pdf_url="https://arxiv.org/pdf/2305.14314v1",
        abstract="We present QLoRA, an efficient finetuning approach.\n\n第二段：4-bit NF4。",
        key="qlora",
    )
    NotePaper.objects.create(note=lora, paper=qlora_paper, position=1)
    ddpm = Note.objects.create(
        title='DDPM: "denoising" diffusion #1',
        category=gen,
        status=Note.Status.PUBLISHED,
        published_at=now - dt.timedelta(days=40),
        body="Plain body.\r\nWith CRLF.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
    )
    ddpm.tags.set(["扩散模型"])
    # Papers are shared: DDPM lists its own paper, then LoRA's (the same record as lora's).
    ddpm.papers.create(
        title="Denoising Diffusion Probabilistic Models",
        authors="Jonathan Ho\nAjay Jain\nPieter Abbeel",
        year=2020,
        url="https://example.org/ddpm",
        through_defaults={"position": 0},
    )
    ddpm.papers.add(lora_paper, through_defaults={"position": 1})
    ddpm.papers.create(
        title="LoRA revisited",
        authors="Edward Hu",
        year=2022,
        doi="10.1000/lora-revisited",
        through_defaults={"position": 2},
    )
    Note.objects.create(
        title="草稿：还没写完",
        category=gen,
        status=Note.Status.DRAFT,
        published_at=now - dt.timedelta(days=1),
        summary="第一行\n第二行",
        body="TODO",
    )
    Note.objects.create(
        title="Scheduled",
        slug="Mixed-Case",
        category=llm,
        status=Note.Status.PUBLISHED,
        published_at=dt.datetime(2030, 1, 15, 9, 0, tzinfo=SHANGHAI),
        body="Coming soon: https://example.org/preview",
    )
    Note.objects.create(title="yes", category=llm, status=Note.Status.PUBLISHED, body="")
    # Search aliases, both ways (exported in _tags.yml).
    linear, _ = Tag.objects.get_or_create(name="线性注意力")
    TagAlias.objects.create(tag=linear, name="linear attention")
    llm_tag, _ = Tag.objects.get_or_create(name="大模型")
    TagAlias.objects.create(tag=llm_tag, name="LLM")
    TagAlias.objects.create(tag=llm_tag, name="大语言模型")


def wipe_database() -> None:
    Note.objects.all().delete()
    Paper.objects.all().delete()  # records of their own, not deleted with their notes
    Category.objects.all().delete()
    Tag.objects.all().delete()
    get_user_model().objects.all().delete()


def folder_bytes(directory: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def test_export_import_export_round_trip_gives_identical_files(tmp_path: Path) -> None:
    """An export is a backup: restoring it into an empty site and exporting again
    must give byte-identical files."""
    build_library()
    first = folder_bytes(export_to(tmp_path / "a"))
    wipe_database()
    call_command("import_notes", str(tmp_path / "a"), stdout=StringIO(), stderr=StringIO())
    second = folder_bytes(export_to(tmp_path / "b"))
    assert sorted(second) == sorted(first)
    assert second == first


def paper_lists() -> dict[str, list[tuple]]:
    """Each note's papers, in its order, with every field of each."""
    fields = (
        "title", "authors", "venue", "year", "published", "url", "pdf_url", "doi", "arxiv",
        "code_url", "abstract", "key",
    )  # fmt: skip
    return {
        note.slug: [
            tuple(getattr(link.paper, name) for name in fields)
            for link in note.paper_links.select_related("paper")
        ]
        for note in Note.objects.all()
    }


def test_round_trip_keeps_shared_papers_and_every_field(tmp_path: Path) -> None:
    build_library()
    before, records = paper_lists(), Paper.objects.count()
    assert [row[-1] for row in before["ddpm-denoising-diffusion-1"]] == [
        "ho2020denoising", "hu2022lora", "hu2022lora-b",
    ]  # fmt: skip
    export_to(tmp_path / "a")
    meta = front_matter(tmp_path / "a" / "lora.md")
    # The chosen key and the one made again differently are written; a made one is not.
    assert [paper.get("key") for paper in meta["papers"]] == [None, "qlora"]
    assert meta["papers"][1]["published"] == dt.date(2023, 5, 23)
    wipe_database()
    assert import_paths([tmp_path / "a"]).errors == []
    assert (paper_lists(), Paper.objects.count()) == (before, records)
    assert sorted(Paper.objects.get(arxiv="2106.09685").notes.values_list("slug", flat=True)) == [
        "ddpm-denoising-diffusion-1", "lora",
    ]  # fmt: skip


def test_round_trip_keeps_two_records_of_a_paper_without_identifiers(tmp_path: Path) -> None:
    """Two notes' copies of a paper with neither arXiv id nor DOI stayed two records when
    papers became shared (0018 merges by identifier only); the second one's key, taken when
    it was made, tells them apart in a backup."""
    category = Category.objects.create(name="ML")
    for slug in ("chinchilla", "scaling"):
        note = Note.objects.create(title=slug, slug=slug, category=category)
        note.papers.create(title="Chinchilla", authors="Jordan Hoffmann", year=2022)
    before = paper_lists()
    assert [before[slug][0][-1] for slug in ("chinchilla", "scaling")] == [
        "hoffmann2022chinchilla", "hoffmann2022chinchilla-b",
    ]  # fmt: skip
    first = folder_bytes(export_to(tmp_path / "a"))
    wipe_database()
    assert import_paths([tmp_path / "a"]).errors == []
    assert paper_lists() == before
    assert folder_bytes(export_to(tmp_path / "b")) == first


def test_importing_a_backup_over_the_same_site_changes_nothing(tmp_path: Path) -> None:
    """Its papers are already on the site: each note lists the same records again, and no
    paper is made twice or refused as a second record of itself."""
    build_library()
    before = paper_lists()
    records = set(Paper.objects.values_list("pk", flat=True))
    links = set(NotePaper.objects.values_list("note", "paper", "position"))
    first = folder_bytes(export_to(tmp_path / "a"))
    assert import_paths([tmp_path / "a"]).errors == []
    assert paper_lists() == before
    assert set(Paper.objects.values_list("pk", flat=True)) == records
    assert set(NotePaper.objects.values_list("note", "paper", "position")) == links
    assert folder_bytes(export_to(tmp_path / "b")) == first


def test_tag_aliases_travel_in_tags_file(tmp_path: Path) -> None:
    build_library()
    export_to(tmp_path)
    assert "linear attention" in (tmp_path / "_tags.yml").read_text(encoding="utf-8")
    wipe_database()
    import_paths([tmp_path])
    aliases = TagAlias.objects.filter(tag__name="大模型").values_list("name", flat=True)
    assert sorted(aliases) == ["LLM", "大语言模型"]


def test_broken_tags_file_is_reported_and_notes_still_import(tmp_path: Path) -> None:
    write(tmp_path, "note.md", "---\ntitle: A note\ncategory: ML\n---\nBody.\n")
    write(tmp_path, "_tags.yml", "- aliases: [nameless]\n")
    report = import_paths([tmp_path])
    assert Note.objects.filter(slug="note").exists()
    assert [str(path.name) for path, _ in report.errors] == ["_tags.yml"]


def test_round_trip_restores_visibility(tmp_path: Path) -> None:
    """Drafts stay drafts and scheduled notes stay hidden after a restore."""
    build_library()
    before = sorted(Note.objects.published().values_list("slug", flat=True))
    export_to(tmp_path)
    wipe_database()
    import_paths([tmp_path])
    assert sorted(Note.objects.published().values_list("slug", flat=True)) == before


# --- rerender_notes -------------------------------------------------------------------


class RerenderNotesTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        category = Category.objects.create(name="Large Model")
        cls.note = Note.objects.create(
            title="Stale", category=category, body="Fresh **bold** text."
        )
        cls.edited = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=SHANGHAI)

    def setUp(self) -> None:
        # As if the note had been saved by an older pipeline, last edited long ago.
        Note.objects.filter(pk=self.note.pk).update(
            body_html="<p>old pipeline</p>", excerpt="old pipeline", updated_at=self.edited
        )
        call_command("rerender_notes", stdout=StringIO())
        self.note.refresh_from_db()

    def test_stored_html_matches_the_current_pipeline(self) -> None:
        self.assertEqual(self.note.body_html, render_markdown(self.note.body).html)

    def test_excerpt_is_refreshed(self) -> None:
        self.assertEqual(self.note.excerpt, "Fresh bold text.")

    def test_updated_at_is_not_touched(self) -> None:
        """A pipeline change is not an edit readers should see as 'updated'."""
        self.assertEqual(self.note.updated_at, self.edited)


# --- load_demo ------------------------------------------------------------------------


def demo_files() -> list[Path]:
    return [p for p in DEMO_DIR.rglob("*.md") if p.name != "_index.md"]


# Creating the demo superuser should not spend a second hashing a random password.
@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class LoadDemoTests(TestCase):
    """Runs against the real demo/notes folder, the one `make run` loads."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.output = StringIO()
        call_command("load_demo", stdout=cls.output)  # raises CommandError on any broken file

    def test_demo_folder_has_notes(self) -> None:
        self.assertGreaterEqual(len(demo_files()), 25)

    def test_every_demo_file_becomes_a_note(self) -> None:
        self.assertEqual(Note.objects.count(), len(demo_files()))

    def test_exactly_one_demo_note_is_a_draft(self) -> None:
        self.assertEqual(Note.objects.filter(status=Note.Status.DRAFT).count(), 1)

    def test_a_scheduled_demo_note_is_hidden_from_readers(self) -> None:
        scheduled = Note.objects.filter(
            status=Note.Status.PUBLISHED, published_at__gt=timezone.now()
        )
        self.assertTrue(scheduled.exists())
        self.assertFalse(Note.objects.published().filter(pk__in=scheduled).exists())

    def test_demo_notes_render_without_warnings(self) -> None:
        self.assertFalse(Note.objects.exclude(render_warnings=[]).exists())

    def test_admin_superuser_is_created(self) -> None:
        self.assertTrue(get_user_model().objects.get(username="admin").is_superuser)

    def test_second_run_keeps_the_data_without_duplicates(self) -> None:
        before = sorted(Note.objects.values_list("slug", "updated_at"))
        call_command("load_demo", stdout=StringIO())
        after = sorted(Note.objects.values_list("slug", "updated_at"))
        self.assertEqual((after, get_user_model().objects.count()), (before, 1))


@pytest.mark.django_db
def test_an_imported_notes_derived_data_is_written_once(tmp_path: Path) -> None:
    """Saved, tagged twice and given papers: one derive step (notes.derive) for the note, not
    one per change (an import of 10,000 notes pays for each)."""
    from unittest import mock

    from notes import derive

    text = note_file(tags="[PEFT, 微调]", paper="{title: LoRA, arxiv: '2106.09685'}")
    with mock.patch.object(derive, "_derive_notes", wraps=derive._derive_notes) as step:
        import_paths([write(tmp_path, "n.md", text)])
    assert step.call_count == 1
    note = Note.objects.get()
    assert [name for name, _slug in note.tag_data] == ["PEFT", "微调"]
    assert [paper["arxiv"] for paper in note.paper_data] == ["2106.09685"]


@pytest.mark.django_db
def test_an_imported_notes_page_shows_the_dates_of_its_file(tmp_path: Path, client) -> None:
    """Its page is rendered after the file's dates are restored: published and updated as
    the file says, not "updated today"."""
    import_paths([write(tmp_path, "lora.md", LORA)])
    note = Note.objects.get(slug="lora")
    html = client.get(note.get_absolute_url(), HTTP_HOST="testserver").content.decode()
    assert 'content="2026-02-01T00:00:00+08:00"' in html  # article:modified_time
    assert '<span class="updated">' in html
    assert timezone.localdate().isoformat() not in html.split('<span class="updated">')[1][:120]


# --- Whole backups: figures, old names, tag slugs, authors, exact dates -----------------


@pytest.fixture
def media_root(tmp_path: Path, settings) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def figure_note(media_root: Path) -> Note:
    """A note with one uploaded figure (a real 12×8 PNG in MEDIA_ROOT)."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from notes.models import Figure

    buffer = io.BytesIO()
    Image.new("RGB", (12, 8), (10, 20, 30)).save(buffer, format="PNG")
    note = Note.objects.create(
        title="Figures", slug="figures", category=Category.objects.create(name="ML")
    )
    Figure.objects.create(
        note=note,
        image=SimpleUploadedFile("a.png", buffer.getvalue()),
        alt="示意图",
        caption="图 1",
    )
    return note


def test_figures_travel_in_the_front_matter(tmp_path: Path, media_root: Path) -> None:
    figure = figure_note(media_root).figures.get()
    meta = front_matter(export_to(tmp_path / "out") / "figures.md")
    assert meta["figures"] == [
        {"image": figure.image.name, "alt": "示意图", "caption": "图 1", "width": 12, "height": 8}
    ]


def test_figures_are_restored_from_the_media_folder(tmp_path: Path, media_root: Path) -> None:
    from notes.models import Figure

    name = figure_note(media_root).figures.get().image.name
    export_to(tmp_path / "out")
    Note.objects.all().delete()
    assert import_paths([tmp_path / "out"]).errors == []
    restored = Figure.objects.get()
    assert (restored.note.slug, restored.image.name, restored.width) == ("figures", name, 12)


def test_a_figure_missing_from_the_media_folder_is_reported(
    tmp_path: Path, media_root: Path
) -> None:
    name = figure_note(media_root).figures.get().image.name
    export_to(tmp_path / "out")
    Note.objects.all().delete()
    (media_root / name).unlink()
    report = import_paths([tmp_path / "out"])
    assert report.errors == []
    assert any(name in message for _path, message in report.notices)


def test_a_file_without_figures_leaves_the_notes_figures_alone(
    tmp_path: Path, media_root: Path
) -> None:
    note = figure_note(media_root)
    import_paths([write(tmp_path, "figures.md", note_file("Figures", category="ML"))])
    assert note.figures.count() == 1


def test_a_figure_outside_the_media_folder_is_refused(tmp_path: Path) -> None:
    meta = "figures:\n  - image: ../../etc/passwd\n    width: 1\n    height: 1"
    path = write(tmp_path, "bad.md", f"---\ntitle: Bad\n{meta}\n---\nBody.\n")
    report = import_paths([path])
    assert [(p.name, "media folder" in message) for p, message in report.errors] == [
        ("bad.md", True)
    ]


def test_old_slugs_and_titles_travel(tmp_path: Path) -> None:
    from notes.models import OldName

    note = Note.objects.create(
        title="Old title", slug="old", category=Category.objects.create(name="ML")
    )
    note.title, note.slug = "New title", "new"
    note.save()
    meta = front_matter(export_to(tmp_path / "out") / "new.md")
    assert (meta["old_slugs"], meta["old_titles"]) == (["old"], ["old title"])
    Note.objects.all().delete()
    import_paths([tmp_path / "out"])
    assert sorted(OldName.objects.values_list("kind", "key", "note__slug")) == [
        ("slug", "old", "new"),
        ("title", "old title", "new"),
    ]


def test_a_note_linking_by_an_old_name_imported_first_still_links(tmp_path: Path) -> None:
    write(tmp_path, "a-first.md", note_file("First", body="See [[Old title]].", category="ML"))
    write(tmp_path, "z-target.md", note_file("New title", old_titles="[Old title]", category="ML"))
    import_paths([tmp_path])
    assert 'href="/notes/z-target/"' in Note.objects.get(slug="a-first").body_html


def test_tag_slugs_travel(tmp_path: Path) -> None:
    category = Category.objects.create(name="ML")
    Note.objects.create(title="A", slug="a", category=category).tags.set(["量化"])
    Tag.objects.filter(name="量化").update(slug="quantization")
    export_to(tmp_path / "out")
    wipe_database()
    import_paths([tmp_path / "out"])
    assert Tag.objects.get(name="量化").slug == "quantization"


def test_tags_whose_slugs_collide_get_their_own_back(tmp_path: Path) -> None:
    """Tags "C++" and "C" both slugify to "c": restored in another order, they swap back."""
    category = Category.objects.create(name="ML")
    Note.objects.create(title="Z", slug="z", category=category).tags.set(["C++"])
    Note.objects.create(title="A", slug="a", category=category).tags.set(["C"])
    before = dict(Tag.objects.values_list("name", "slug"))
    export_to(tmp_path / "out")
    wipe_database()
    assert import_paths([tmp_path / "out"]).errors == []
    assert dict(Tag.objects.values_list("name", "slug")) == before


def test_an_older_tags_file_without_slugs_still_imports(tmp_path: Path) -> None:
    write(tmp_path, "n.md", note_file(category="ML", tags="[大模型]"))
    write(tmp_path, "_tags.yml", "- name: 大模型\n  aliases: [LLM]\n")
    assert import_paths([tmp_path]).errors == []
    assert list(TagAlias.objects.values_list("name", flat=True)) == ["LLM"]


def test_authors_names_travel(tmp_path: Path) -> None:
    build_library()
    export_to(tmp_path / "out")
    wipe_database()
    import_paths([tmp_path / "out"])
    author = Note.objects.get(slug="lora").author
    assert (author.username, author.get_full_name()) == ("edward", "Edward Hu")
    assert not author.has_usable_password() and not author.is_staff


def test_an_existing_users_name_is_not_replaced(tmp_path: Path) -> None:
    build_library()
    export_to(tmp_path / "out")
    get_user_model().objects.filter(username="edward").update(first_name="Ed", last_name="H.")
    import_paths([tmp_path / "out"])
    assert get_user_model().objects.get(username="edward").get_full_name() == "Ed H."


def test_dates_keep_their_microseconds(tmp_path: Path) -> None:
    build_library()
    before = dict(Note.objects.values_list("slug", "published_at"))
    created = dict(Note.objects.values_list("slug", "created_at"))
    export_to(tmp_path / "out")
    wipe_database()
    import_paths([tmp_path / "out"])
    assert dict(Note.objects.values_list("slug", "published_at")) == before
    assert dict(Note.objects.values_list("slug", "created_at")) == created


def test_whole_second_dates_are_written_as_editors_write_them(tmp_path: Path) -> None:
    import_paths([write(tmp_path / "in", "lora.md", LORA)])
    meta = front_matter(export_to(tmp_path / "out") / "lora.md")
    assert meta["date"] == "2026-01-14T00:00:00+08:00"


def test_import_command_leaves_postgresql_statistics_for_the_new_notes(tmp_path: Path) -> None:
    """Planned on an empty table's statistics, the home page's query sorted every note
    instead of walking the newest twenty, until autovacuum came round (never, where it is
    off): the import leaves the planner the table as it now is."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner statistics")
    for i in range(3):
        write(tmp_path, f"note-{i}.md", note_file(f"Note {i}"))
    call_command("import_notes", str(tmp_path), stdout=StringIO(), stderr=StringIO())
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'notes_note'")
        (estimate,) = cursor.fetchone()
    assert estimate == Note.objects.count()


def test_a_file_failing_as_it_is_saved_leaves_nothing_and_the_rest_import_whole(
    tmp_path: Path, client
) -> None:
    """Files are saved in groups sharing a transaction; a file that fails half-way through its
    save (its note row written, then a figure missing) must still leave nothing of itself,
    while the files around it import with their tags, links, search and history."""
    from reversion.models import Version

    write(tmp_path, "a.md", note_file("甲笔记", "见 [[丙笔记]]。", category="ML", tags="[扩散]"))
    figure = "figures:\n  - image: figures/missing.png\n    width: 0\n    height: 0"
    write(tmp_path, "b.md", f"---\ntitle: 乙笔记\ntags: [孤立标签]\n{figure}\n---\nBody.\n")
    write(tmp_path, "c.md", note_file("丙笔记", "量子退火。", category="ML", tags="[扩散]"))
    report = import_paths([tmp_path])
    assert [(path.name, "media folder" in message) for path, message in report.errors] == [
        ("b.md", True)
    ]
    assert sorted(report.created) == sorted(Note.objects.values_list("slug", flat=True))
    assert set(Note.objects.values_list("title", flat=True)) == {"甲笔记", "丙笔记"}
    assert not Tag.objects.filter(name="孤立标签").exists()
    first, third = Note.objects.get(title="甲笔记"), Note.objects.get(title="丙笔记")
    # The link, written before its target was saved, points at it.
    assert f'href="{third.get_absolute_url()}"' in first.body_html
    found = client.get("/search/", {"q": "量子退火"}).content.decode()
    assert "丙笔记" in found and "甲笔记" not in found
    assert [pk for pk, _score in first.related_data] == [third.pk]
    assert [pk for pk, _score in third.related_data] == [first.pk]
    for note, name in ((first, "a.md"), (third, "c.md")):
        (version,) = Version.objects.get_for_object(note)
        assert version.revision.comment == f"Imported from {name}"
