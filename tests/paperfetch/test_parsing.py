"""The arXiv, Crossref and DataCite parsers on each recording, and hostile values in them."""

from __future__ import annotations

import datetime
import json

import pytest

from notes.paperfetch import (
    BadResponse,
    NotFound,
    PaperDetails,
    fetch,
    parse_arxiv,
    parse_crossref,
    parse_datacite,
)
from tests.paperfetch.support import (
    ELIFE,
    MURRAY,
    STANLEY,
    Replay,
    recorded,
    recorded_arxiv,
)

# ---------------------------------------------------------------------------------------------
# Parsers, on each recording


def test_parse_arxiv_reads_the_older_api_with_a_hard_wrapped_title_journal_ref_and_doi() -> None:
    """1111.2011v2 as the API answered before 2025: title wrapped with "\\n  ", the abstract
    hard-wrapped at 80 columns, arxiv:doi and arxiv:journal_ref on the entry."""
    atom = recorded("arxiv-1111.2011v2.xml")
    assert b"in the Large\n  Connectivity Limit</title>" in atom
    assert parse_arxiv(atom) == MURRAY


def test_parse_arxiv_reads_the_current_api() -> None:
    status, atom = recorded_arxiv("arxiv-1605.08386.json")
    assert status == 200
    assert parse_arxiv(atom) == STANLEY


def test_parse_arxiv_keeps_an_old_style_id_and_the_journal_ref_as_venue() -> None:
    _, atom = recorded_arxiv("arxiv-astro-ph-0601001.json")
    details = parse_arxiv(atom)
    assert details.title == (
        "Frequency of Hot Jupiters and Very Hot Jupiters from the OGLE-III Transit Surveys "
        "Toward the Galactic Bulge and Carina"
    )
    assert details.authors == ("Andrew Gould", "Susan Dorsher", "B. Scott Gaudi", "Andrzej Udalski")
    assert (details.year, details.published) == (2006, datetime.date(2006, 1, 2))
    assert details.venue == "ActaAstron.56:1-50,2006"
    assert details.arxiv == "astro-ph/0601001"
    assert details.arxiv_version == 1
    assert details.url == "https://arxiv.org/abs/astro-ph/0601001"
    assert details.pdf_url == "https://arxiv.org/pdf/astro-ph/0601001v1"
    assert details.doi == ""
    # Entities are decoded to plain text, and a "<" in the abstract is text, not markup.
    assert details.abstract.startswith("We derive the frequencies of hot Jupiters (HJs)")
    assert "following Gould & Morgan (2003)" in details.abstract
    assert "spectroscopic-followup limit of V_max<17.5. Hence" in details.abstract
    assert details.abstract.endswith("too few in the sample to map this distribution in detail.")


def test_parse_arxiv_reads_utf8_names_and_many_authors() -> None:
    _, atom = recorded_arxiv("arxiv-1707.08567.json")
    details = parse_arxiv(atom)
    assert details.title == (
        "Proceedings of Workshop AEW10: Concepts in Information Theory and Communications"
    )
    assert len(details.authors) == 34
    assert details.authors[0] == "Kees A. Schouhamer Immink"
    assert details.authors[-2:] == ("Dirk Wübben", "Hirosuke Yamamoto")
    assert "Peter H. N. de With" in details.authors


def test_parse_arxiv_error_entry_is_not_found() -> None:
    # arXiv's answer to an id it cannot read: an entry titled "Error" (recorded with 400).
    status, atom = recorded_arxiv("arxiv-error-abc.json")
    assert status == 400
    with pytest.raises(NotFound) as caught:
        parse_arxiv(atom)
    assert str(caught.value) == "arXiv has no paper with this id (incorrect id format for abc)."


def test_parse_arxiv_empty_feed_is_not_found() -> None:
    status, atom = recorded_arxiv("arxiv-empty-0000.0000.json")
    assert status == 200
    assert b"<opensearch:totalResults>0</opensearch:totalResults>" in atom
    with pytest.raises(NotFound):
        parse_arxiv(atom)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(recorded("arxiv-1111.2011v2.xml")[:1500], id="truncated"),
        pytest.param(recorded("arxiv-1111.2011v2.xml")[:0], id="empty"),
        pytest.param(recorded("crossref-404.txt"), id="plain-text"),
        pytest.param(recorded("crossref-10.7554-elife.01567.json"), id="json"),
        pytest.param(
            recorded("arxiv-1111.2011v2.xml").replace(b"<feed ", b"<rss ", 1)[:-8] + b"</rss>\n",
            id="not-a-feed",
        ),
    ],
)
def test_parse_arxiv_malformed_is_bad_response(body: bytes) -> None:
    with pytest.raises(BadResponse) as caught:
        parse_arxiv(body)
    assert str(caught.value) == "arXiv sent an answer that could not be read."


def test_parse_arxiv_refuses_entities_declared_in_the_answer() -> None:
    """defusedxml: a DTD smuggled into an answer is refused, not expanded."""
    atom = recorded("arxiv-1111.2011v2.xml").replace(
        b'<?xml version="1.0" encoding="UTF-8"?>\n',
        b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE feed [<!ENTITY x "xxxxxxxx">]>\n',
    )
    with pytest.raises(BadResponse):
        parse_arxiv(atom.replace(b"<title>Quantum", b"<title>&x;Quantum"))


def test_parse_arxiv_without_a_title_is_bad_response() -> None:
    atom = recorded("arxiv-1111.2011v2.xml")
    start, end = atom.index(b"<title>Quantum"), atom.index(b"</title>", atom.index(b"<entry>"))
    with pytest.raises(BadResponse) as caught:
        parse_arxiv(atom[:start] + b"<title>  \n  " + atom[end:])
    assert str(caught.value) == "arXiv sent no title for this paper."


def test_parse_crossref_strips_jats_and_takes_the_pdf_link() -> None:
    payload = recorded("crossref-10.7554-elife.01567.json")
    assert b'"abstract":"<jats:p>Among various' in payload
    assert parse_crossref(payload) == ELIFE


def test_parse_crossref_keeps_update_to_entries() -> None:
    details = parse_crossref(recorded("crossref-10.1371-journal.ppat.1008184.json"))
    assert details == PaperDetails(
        title="An RNA thermometer dictates production of a secreted bacterial toxin",
        authors=(
            "Christian Twittenhoff",
            "Ann Kathrin Heroven",
            "Sabrina Mühlen",
            "Petra Dersch",
            "Franz Narberhaus",
        ),
        year=2020,
        published=datetime.date(2020, 1, 17),
        venue="PLOS Pathogens",
        abstract="",
        url="https://doi.org/10.1371/journal.ppat.1008184",
        pdf_url="",
        arxiv="",
        doi="10.1371/journal.ppat.1008184",
        arxiv_version=None,
        # The recorded work lists the same new version as update-to and as updated-by.
        updates=(
            {
                "type": "new_version",
                "doi": "10.1371/journal.ppat.1008184",
                "label": "New version",
                "date": datetime.date(2020, 1, 30),
            },
            {
                "type": "new_version",
                "doi": "10.1371/journal.ppat.1008184",
                "label": "New version",
                "date": datetime.date(2020, 1, 30),
                "relation": "updated-by",
            },
        ),
    )


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(recorded("crossref-10.7554-elife.01567.json")[:4000], id="truncated"),
        pytest.param(recorded("crossref-404.txt"), id="plain-text"),
        pytest.param(recorded("arxiv-1111.2011v2.xml"), id="xml"),
        pytest.param(b"[]", id="not-an-object"),
    ],
)
def test_parse_crossref_malformed_is_bad_response(body: bytes) -> None:
    with pytest.raises(BadResponse) as caught:
        parse_crossref(body)
    assert str(caught.value) == "Crossref sent an answer that could not be read."


def test_parse_crossref_without_a_title_is_bad_response() -> None:
    record = json.loads(recorded("crossref-10.7554-elife.01567.json"))
    record["message"]["title"] = []
    with pytest.raises(BadResponse) as caught:
        parse_crossref(json.dumps(record).encode())
    assert str(caught.value) == "Crossref sent no title for this paper."


def test_parse_datacite_reads_an_arxiv_doi() -> None:
    details = parse_datacite(recorded("datacite-10.48550-arxiv.1902.02534.json"))
    assert details == PaperDetails(
        title=(
            "Crowdsourcing open citations with CROCI -- An analysis of the current status of "
            "open citations, and a proposal"
        ),
        authors=("Ivan Heibi", "Silvio Peroni", "David Shotton"),
        year=2019,
        # v1's submission, not the "Issued" year nor v2's date.
        published=datetime.date(2019, 2, 7),
        venue="",
        abstract=(
            "In this paper, we analyse the current availability of open citations data in one "
            "particular dataset, namely COCI (the OpenCitations Index of Crossref open "
            "DOI-to-DOI citations; http://opencitations.net/index/coci) provided by "
            "OpenCitations. The results of these analyses show a persistent gap in the coverage "
            "of the currently available open citation data. In order to address this specific "
            "issue, we propose a strategy whereby the community (e.g. scholars and publishers) "
            "can directly involve themselves in crowdsourcing open citations, by uploading their "
            "citation data via the OpenCitations infrastructure into our new index, CROCI, the "
            "Crowdsourced Open Citations Index."
        ),
        url="https://arxiv.org/abs/1902.02534",
        pdf_url="https://arxiv.org/pdf/1902.02534",
        arxiv="1902.02534",
        doi="10.48550/arxiv.1902.02534",
        arxiv_version=2,
        updates=(),
    )


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(recorded("datacite-10.48550-arxiv.1902.02534.json")[:3000], id="truncated"),
        pytest.param(recorded("crossref-10.7554-elife.01567.json"), id="crossref-json"),
    ],
)
def test_parse_datacite_malformed_is_bad_response(body: bytes) -> None:
    with pytest.raises(BadResponse):
        parse_datacite(body)


# ---------------------------------------------------------------------------------------------
# Hostile values stay plain text


def test_a_title_with_markup_stays_plain_text() -> None:
    status, atom = recorded_arxiv("arxiv-1605.08386.json")
    hostile = atom.replace(
        b"<title>Heat-bath", b"<title>&lt;script&gt;alert(1)&lt;/script&gt; Heat-bath"
    ).replace(b"<summary>Graphs", b"<summary><![CDATA[<img src=x onerror=alert(1)>]]> Graphs")
    details = fetch("1605.08386", client=Replay(export_arxiv_org=(status, hostile)).client)
    assert details.title == "<script>alert(1)</script> Heat-bath random walks with Markov bases"
    assert details.abstract.startswith("<img src=x onerror=alert(1)> Graphs on lattice points")


def test_a_crossref_title_with_markup_stays_plain_text_and_a_script_link_is_dropped() -> None:
    record = json.loads(recorded("crossref-10.7554-elife.01567.json"))
    message = record["message"]
    message["title"] = ['<script>alert("x")</script>Automated <i>histology</i>']
    message["abstract"] = "<jats:p>Plain &lt;b&gt; text.</jats:p><script>alert(1)</script>"
    for link in message["link"]:
        link["URL"] = "javascript:alert(1)"
    details = parse_crossref(json.dumps(record).encode())
    assert details.title == '<script>alert("x")</script>Automated <i>histology</i>'
    assert details.abstract == "Plain <b> text. alert(1)"
    assert details.pdf_url == ""


def test_an_arxiv_pdf_link_off_arxiv_is_not_taken() -> None:
    _, atom = recorded_arxiv("arxiv-1605.08386.json")
    hostile = atom.replace(b'href="https://arxiv.org/pdf/1605.08386v1"', b'href="javascript:x"')
    assert b"javascript:x" in hostile
    details = parse_arxiv(hostile)
    assert details.pdf_url == "https://arxiv.org/pdf/1605.08386"
