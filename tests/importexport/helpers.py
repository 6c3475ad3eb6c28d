"""Notes as Markdown files in tests: writing files, exporting, a library of every kind of
note, and reading back what a round trip kept."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from django.contrib.auth import get_user_model
from django.core.management import call_command
from taggit.models import Tag

from notes.models import Category, Note, NotePaper, Paper, TagAlias

SHANGHAI = ZoneInfo("Asia/Shanghai")


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
