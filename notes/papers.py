"""Paper identifiers and citations: the one rule for arXiv ids, DOIs and paper addresses
(normalizers and Django validators, used by the model, the paper form and the importer),
and BibTeX; no database."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

# New-style ids (2106.09685, 1706.03762v7) and old-style ones (hep-th/9901001, math.GT/0309136).
# New-style numbers have 4 digits up to 1412 and 5 from 1501 on: holding the count to the date
# rejects ids that lost a digit, e.g. an unquoted YAML `arxiv: 2106.09680` read as 2106.0968,
# which used to be accepted and stored as a wrong id.
_ARXIV_NEW = re.compile(
    r"(?P<id>(?:0[7-9]|1[0-4])(?:0[1-9]|1[0-2])\.\d{4}|(?:1[5-9]|[2-9]\d)(?:0[1-9]|1[0-2])\.\d{5})"
    r"(?:v\d+)?",
    re.IGNORECASE,
)
_ARXIV_OLD = re.compile(r"(?P<id>[a-z][a-z.-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?", re.IGNORECASE)
_ARXIV_PREFIX = re.compile(
    r"^\s*(?:arxiv:\s*|https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/)", re.IGNORECASE
)


def normalize_arxiv(value: str) -> str:
    """One id per paper: ``arXiv:2106.09685v2``, ``https://arxiv.org/abs/2106.09685`` and
    ``2106.09685`` are the same paper, so they all give ``2106.09685``. Returns "" when the value
    is not an arXiv id at all."""
    text = _ARXIV_PREFIX.sub("", (value or "").strip())
    text = text.removesuffix(".pdf").strip("/ ")
    for pattern in (_ARXIV_NEW, _ARXIV_OLD):
        match = pattern.fullmatch(text)
        if match:
            return match.group("id").lower() if pattern is _ARXIV_NEW else match.group("id")
    return ""


def arxiv_from_url(url: str) -> str:
    """An arXiv id hidden in a paper URL, so a paper given only by URL still matches."""
    if re.search(r"arxiv\.org/(?:abs|pdf|html)/", url or "", re.IGNORECASE):
        return normalize_arxiv(url)
    return ""


def normalize_doi(value: str) -> str:
    """DOIs are case-insensitive; strip resolver prefixes so one paper has one DOI."""
    text = (value or "").strip()
    text = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", text, flags=re.IGNORECASE)
    return text.lower() if text.startswith("10.") else ""


def validate_arxiv(value: str) -> None:
    """Accept any spelling ``normalize_arxiv`` reads (the stored id is the normalized one);
    empty is allowed, the field being optional."""
    if (value or "").strip() and not normalize_arxiv(value):
        raise ValidationError(
            _("Not an arXiv id: use e.g. 2106.09685, arXiv:2106.09685v2 or an arxiv.org URL."),
            code="arxiv",
        )


def validate_doi(value: str) -> None:
    """Accept any spelling ``normalize_doi`` reads; empty is allowed."""
    if (value or "").strip() and not normalize_doi(value):
        raise ValidationError(
            _("Not a DOI: it starts with 10. (e.g. 10.1038/nature14236)."), code="doi"
        )


# A paper's or its code's address: pages link to it, so only the web's two schemes (Django's
# own URLValidator also takes ftp).
validate_web_url = URLValidator(schemes=["http", "https"])


def split_authors(value: str | Iterable[str]) -> list[str]:
    """Authors as a list, from a YAML list or a text of one name per line / separated by ';'."""
    if isinstance(value, str):
        parts = re.split(r"[\n;]+", value)
    else:
        parts = [str(item) for item in value]
    return [" ".join(part.split()) for part in parts if part.strip()]


_WEB_ADDRESS = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", re.IGNORECASE)


def web_url(value: str) -> str:
    """``value`` when it is an http(s) address, else "": what a page may link to. The form
    refuses other schemes; a row stored past it (the shell, a data migration) must still never
    become a ``javascript:`` link."""
    value = (value or "").strip()
    return value if _WEB_ADDRESS.fullmatch(value) else ""


def _ascii_word(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return re.sub(r"[^A-Za-z0-9]", "", decomposed.encode("ascii", "ignore").decode())


def bibtex_key(authors: list[str], year: int | None, title: str) -> str:
    """``hu2022lora``: first author's family name, year, first real word of the title."""
    family = _ascii_word(authors[0].split()[-1]).lower() if authors else "anon"
    stop = {"a", "an", "the", "on", "of", "for", "and", "to", "in", "towards", "toward"}
    words = [_ascii_word(word).lower() for word in title.split()]
    first = next((word for word in words if word and word not in stop), "paper")
    return f"{family or 'anon'}{year or ''}{first}"


_BIBTEX_SPECIAL = {"\\": r"\textbackslash{}", **{char: "\\" + char for char in "&%$#_{}"}}


def _bibtex_escape(value: str) -> str:
    # Braces protect capitalisation (BERT, LoRA) and special characters keep BibTeX parsing.
    # One pass: escaping braces after backslashes turned a backslash into "\textbackslash\{\}".
    return re.sub(r"[\\&%$#_{}]", lambda match: _BIBTEX_SPECIAL[match.group()], value)


def to_bibtex(
    *,
    title: str,
    authors: list[str],
    year: int | None,
    venue: str = "",
    url: str = "",
    doi: str = "",
    arxiv: str = "",
) -> str:
    """A BibTeX entry: @article for arXiv-only papers, @inproceedings when a venue is known."""
    fields: list[tuple[str, str]] = [("title", "{" + _bibtex_escape(title) + "}")]
    if authors:
        fields.append(("author", _bibtex_escape(" and ".join(authors))))
    if venue:
        fields.append(("booktitle", _bibtex_escape(venue)))
    elif arxiv:
        fields.append(("journal", f"arXiv preprint arXiv:{arxiv}"))
    if year:
        fields.append(("year", str(year)))
    if arxiv:
        fields += [("eprint", arxiv), ("archivePrefix", "arXiv")]
    if doi:
        fields.append(("doi", _bibtex_escape(doi)))
    link = url or (f"https://arxiv.org/abs/{arxiv}" if arxiv else "")
    if link:
        fields.append(("url", link))
    entry_type = "inproceedings" if venue else "article"
    return bibtex_entry(entry_type, bibtex_key(authors, year, title), fields)


def bibtex_escape(value: str) -> str:
    """A value as BibTeX reads it back: its special characters escaped."""
    return _bibtex_escape(value)


def bibtex_entry(entry_type: str, key: str, fields: list[tuple[str, str]]) -> str:
    """``@type{key, name = {value}, …}`` from values already escaped."""
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{entry_type}{{{key},\n{body}\n}}\n"
