"""Paper identifiers and citations: the one rule for arXiv ids, DOIs and paper addresses
(normalizers and Django validators, used by the model, the paper form and the importer),
BibTeX written by bibtexparser, and CSL-JSON items for citeproc-py; no database."""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

import bibtexparser
from bibtexparser import BibtexFormat, Library
from bibtexparser.middlewares.names import parse_single_name_into_parts
from bibtexparser.model import Entry, Field
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _
from pylatexenc.latexencode import RULE_DICT, UnicodeToLatexConversionRule, UnicodeToLatexEncoder

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


# Text values are LaTeX: these characters would otherwise end a value, open a comment, enter
# math or become a tie. The encoder is pylatexenc's, the one bibtexparser's
# LatexEncodingMiddleware wraps; its default rules don't fit here (they spell out every
# non-ASCII letter, log a warning per CJK character, turn " into '' and < into
# \ensuremath{<}, and the middleware would also escape the verbatim url and doi fields).
_LATEX_SPECIALS = {
    **{ord(char): "\\" + char for char in "&%$#_{}"},
    ord("\\"): r"\textbackslash",
    ord("~"): r"\textasciitilde",
    ord("^"): r"\textasciicircum",
}
_LATEX_TEXT = UnicodeToLatexEncoder(
    conversion_rules=[UnicodeToLatexConversionRule(RULE_DICT, _LATEX_SPECIALS)],
    # "\textbackslash{}", not "{\textbackslash}": what the site always wrote.
    replacement_latex_protection="braces-after-macro",
    # Other characters are written as they are: .bib files are UTF-8 (biber, bibtexu).
    unknown_char_policy="keep",
    unknown_char_warning=False,
)
# Indented by two spaces, one field a line: the format the site's files have always had.
_BIBTEX_FORMAT = BibtexFormat()
_BIBTEX_FORMAT.indent = "  "


def bibtex_escape(value: str) -> str:
    r"""A text value as BibTeX reads it back: LaTeX's special characters escaped, one pass (a
    backslash is ``\textbackslash{}``, its braces not escaped again)."""
    return _LATEX_TEXT.unicode_to_latex(value)


def bibtex_verbatim(value: str) -> str:
    """A url or doi value: biblatex reads these verbatim, so LaTeX escapes would stay in the
    address; only braces and backslashes, which would unbalance the entry, are percent-encoded
    (the same address to a browser or a DOI resolver)."""
    return value.replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D")


def bibtex_entry(entry_type: str, key: str, fields: list[tuple[str, str]]) -> str:
    """``@type{key, name = {value}, …}`` written by bibtexparser, from values already made
    BibTeX by ``bibtex_escape`` or ``bibtex_verbatim`` (the writer adds the braces)."""
    entry = Entry(entry_type, key, [Field(name, value) for name, value in fields])
    return bibtexparser.write_string(Library([entry]), bibtex_format=_BIBTEX_FORMAT)


def to_bibtex(
    *,
    title: str,
    authors: list[str],
    year: int | None,
    venue: str = "",
    url: str = "",
    doi: str = "",
    arxiv: str = "",
    key: str = "",
) -> str:
    """A BibTeX entry: @article for arXiv-only papers, @inproceedings when a venue is known;
    keyed by ``key`` (the paper's citation key), else one made from authors, year and title."""
    # The inner braces keep the title's capitalisation (LoRA, BERT) from the style's sentence case.
    fields = [("title", "{" + bibtex_escape(title) + "}")]
    if authors:
        fields.append(("author", " and ".join(bibtex_escape(name) for name in authors)))
    if venue:
        fields.append(("booktitle", bibtex_escape(venue)))
    elif arxiv:
        fields.append(("journal", bibtex_escape(f"arXiv preprint arXiv:{arxiv}")))
    if year:
        fields.append(("year", str(year)))
    if arxiv:
        fields += [("eprint", bibtex_verbatim(arxiv)), ("archivePrefix", "arXiv")]
    if doi:
        fields.append(("doi", bibtex_verbatim(doi)))
    # Only a web address: a stored javascript: one is no more a link in a .bib than on a page.
    link = web_url(url) or (f"https://arxiv.org/abs/{arxiv}" if arxiv else "")
    if link:
        fields.append(("url", bibtex_verbatim(link)))
    entry_type = "inproceedings" if venue else "article"
    return bibtex_entry(entry_type, key or bibtex_key(authors, year, title), fields)


# Han, kana and Hangul: such names have no given/family split citeproc-py would print right.
_CJK = re.compile(r"[\u2e80-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\U00020000-\U0003ffff]")


def csl_name(name: str) -> dict[str, str]:
    """One author as CSL-JSON. A Western name is split as BibTeX splits it (given, von, family,
    Jr), so the reference list and the .bib agree; a CJK or one-word name is a literal, printed
    whole (GB/T 7714 writes 王小明 in full; citeproc-py would put a given name first)."""
    name = " ".join(name.split())
    # Braces and backslashes are BibTeX grouping to the name splitter; such a name stays whole.
    if _CJK.search(name) or re.search(r"[{}\\]", name):
        return {"literal": name}
    parts = parse_single_name_into_parts(name, strict=False)
    if not parts.first or not parts.last:
        return {"literal": name}
    csl = {"family": " ".join(parts.last), "given": " ".join(parts.first)}
    if parts.von:
        csl["non-dropping-particle"] = " ".join(parts.von)
    if parts.jr:
        csl["suffix"] = " ".join(parts.jr)
    return csl


def csl_item(
    *,
    key: str,
    title: str,
    authors: list[str],
    year: int | None,
    venue: str = "",
    url: str = "",
    doi: str = "",
    arxiv: str = "",
    published: datetime.date | None = None,
) -> dict[str, Any]:
    """A CSL-JSON item for citeproc-py. A paper with a venue is an ``article-journal`` in it;
    an arXiv-only one is an ``article`` (CSL's preprint type) numbered ``arXiv:…``; the arXiv
    id of a published paper goes in ``note``, where Zotero puts it. Values are plain text, as
    given (a hostile title too): citeproc-py's HTML formatter does not escape variables, so
    format with its plain one and escape, or escape the values before."""
    arxiv, doi = normalize_arxiv(arxiv), normalize_doi(doi)
    item: dict[str, Any] = {"id": key, "type": "article-journal" if venue else "article"}
    item["title"] = title
    if authors:
        item["author"] = [csl_name(name) for name in authors]
    # The full date only when it is the paper's year: an arXiv v1 date is not a venue's date.
    if published and (not year or published.year == year):
        item["issued"] = {"date-parts": [[published.year, published.month, published.day]]}
    elif year:
        item["issued"] = {"date-parts": [[year]]}
    if venue:
        item["container-title"] = venue
        if arxiv:
            item["note"] = f"arXiv:{arxiv}"
    elif arxiv:
        # Numbered arXiv:… with no publisher: with both (Zotero's export), IEEE prints
        # "arXiv: arXiv:2106.09685".
        item["number"] = f"arXiv:{arxiv}"
    if doi:
        item["DOI"] = doi
    link = web_url(url) or (f"https://arxiv.org/abs/{arxiv}" if arxiv else "")
    if link:
        item["URL"] = link
    return item
