"""Paper records and readers of rendered pages and BibTeX shared by the paper tests."""

from __future__ import annotations

import re
from html import unescape

from notes.models import Note, NotePaper, Paper

LORA = {
    "title": "LoRA: Low-Rank Adaptation of Large Language Models",
    "authors": "Edward J. Hu\nYelong Shen\nPhillip Wallis",
    "venue": "ICLR",
    "year": 2022,
    "arxiv": "2106.09685",
    "code_url": "https://github.com/microsoft/LoRA",
}
QLORA = {
    "title": "QLoRA: Efficient Finetuning of Quantized LLMs",
    "authors": "Tim Dettmers\nArtidoro Pagnoni",
    "venue": "NeurIPS",
    "year": 2023,
    "arxiv": "2305.14314",
}


def parse_bibtex(entry: str) -> tuple[str, str, dict[str, str]]:
    """(entry type, key, fields) of one BibTeX entry as to_bibtex writes it."""
    match = re.fullmatch(r"@(\w+)\{([^,\s]+),\n(.*)\n\}\n", entry, re.DOTALL)
    assert match, f"not a BibTeX entry:\n{entry}"
    fields = {}
    for line in match.group(3).split(",\n"):
        name, value = re.fullmatch(r"  (\w+) = \{(.*)\}", line, re.DOTALL).groups()
        fields[name] = value
    return match.group(1), match.group(2), fields


def text(html: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def paper_cards(html: str) -> list[str]:
    return re.findall(r'<section class="paper-card".*?</section>', html, re.DOTALL)


def links(html: str) -> dict[str, str]:
    """Link text -> href of every <a> in a fragment."""
    return {
        text(label): unescape(href)
        for href, label in re.findall(r'<a href="([^"]*)"[^>]*>(.*?)</a>', html, re.DOTALL)
    }


def add_papers(note: Note, *records: dict) -> list[Paper]:
    """New paper records, listed by the note in this order."""
    papers = [Paper.objects.create(**record) for record in records]
    for position, paper in enumerate(papers):
        NotePaper.objects.create(note=note, paper=paper, position=position)
    return papers
