"""arXiv ids and DOIs read from what an editor pastes; no network."""

from __future__ import annotations

import re
from urllib.parse import quote

from django.utils.translation import gettext as _

from notes.paperfetch.details import UnknownIdentifier
from notes.papers import normalize_arxiv, normalize_doi

_DOI_SHAPE = re.compile(r"10\.\d{4,9}/[^\s\x00-\x1f\x7f]+")
# arXiv's own DOIs, registered with DataCite.
_ARXIV_DOI = re.compile(r"10\.48550/arxiv\.(?P<id>.+)")


def identify(value: str) -> tuple[str, str]:
    """``("arxiv", "2106.09685")`` or ``("doi", "10.1038/nature14236")`` from what an editor
    pastes: a bare id, ``arXiv:…v2``, an arxiv.org or doi.org address, ``doi:…``."""
    text = " ".join(str(value or "").split())
    # Addresses pasted without their scheme read as the same address.
    if re.match(r"(?:www\.|export\.)?arxiv\.org/|(?:dx\.|www\.)?doi\.org/", text, re.IGNORECASE):
        text = "https://" + text
    text = re.sub(r"^(https?://)www\.doi\.org/", r"\1doi.org/", text, flags=re.IGNORECASE)
    arxiv = normalize_arxiv(text)
    if arxiv:
        return "arxiv", arxiv
    doi = normalize_doi(text)
    if doi and _DOI_SHAPE.fullmatch(doi):
        return "doi", doi
    raise UnknownIdentifier(
        _(
            "Not an arXiv id or a DOI: give e.g. 2106.09685, arXiv:2106.09685v2, "
            "10.1038/nature14236 or a doi.org address."
        )
    )


def _arxiv_id(value: str) -> str:
    kind, identifier = identify(value)
    if kind != "arxiv":
        raise UnknownIdentifier(
            _("Not an arXiv id: use e.g. 2106.09685, arXiv:2106.09685v2 or an arxiv.org URL.")
        )
    return identifier


def _doi(value: str) -> str:
    kind, identifier = identify(value)
    if kind != "doi":
        raise UnknownIdentifier(_("Not a DOI: it starts with 10. (e.g. 10.1038/nature14236)."))
    return identifier


def _doi_url(doi: str) -> str:
    # A DOI may hold characters a URL may not (<, >, ", spaces are refused earlier).
    return "https://doi.org/" + quote(doi, safe="/:;()")
