"""notes.paperfetch against recorded real answers of arXiv, Crossref and DataCite
(tests/fixtures/papers/README.md says where each was recorded), replayed through httpx's
MockTransport: no test reaches the network."""

from __future__ import annotations

import ast
import datetime
import json
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import httpx
import pytest
from django.core.cache import cache
from django.utils import translation

from notes import paperfetch
from notes.paperfetch import (
    BadResponse,
    FetchError,
    NotFound,
    PaperDetails,
    Unavailable,
    UnknownIdentifier,
    fetch,
    fetch_arxiv,
    fetch_doi,
    identify,
    parse_arxiv,
    parse_crossref,
    parse_datacite,
)

FIXTURES = Path(__file__).parent / "fixtures" / "papers"
ARXIV_HOST = "export.arxiv.org"
CROSSREF_HOST = "api.crossref.org"
DATACITE_HOST = "api.datacite.org"


def recorded(name: str) -> bytes:
    """A recorded body saved as it came (Atom, JSON, text)."""
    return (FIXTURES / name).read_bytes()


def recorded_arxiv(name: str) -> tuple[int, bytes]:
    """arxiv.py's golden files: the request URL, status and body, the body kept as latin-1
    text of the bytes arXiv sent (their conftest's format)."""
    record = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return record["status_code"], record["body"].encode("latin-1")


Answer = tuple[int, bytes] | Callable[[httpx.Request], httpx.Response]


class Replay:
    """A client whose transport answers each host from recorded answers, in order, and keeps
    every request it was sent."""

    def __init__(self, **hosts: Answer | list[Answer]) -> None:
        self.answers = {
            host.replace("_", "."): list(answer) if isinstance(answer, list) else [answer]
            for host, answer in hosts.items()
        }
        self.requests: list[httpx.Request] = []
        self.client = httpx.Client(transport=httpx.MockTransport(self.handle))

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answers = self.answers[request.url.host]
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if callable(answer):
            return answer(request)
        status, body = answer
        return httpx.Response(status, content=body)


def hosts(replay: Replay) -> list[str]:
    return [request.url.host for request in replay.requests]


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """A client built without a MockTransport fails, and so does any real transport: a test
    that forgot its recording cannot reach arXiv or Crossref."""
    real_init = httpx.Client.__init__

    def only_replays(self: httpx.Client, *args: object, **kwargs: object) -> None:
        if not isinstance(kwargs.get("transport"), httpx.MockTransport):
            raise AssertionError("tests never reach the network: pass a MockTransport client")
        real_init(self, *args, **kwargs)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("tests never reach the network")

    monkeypatch.setattr(httpx.Client, "__init__", only_replays)
    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", refuse)


@pytest.fixture(autouse=True)
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Nothing sleeps: the clock moves only when the module asks to sleep, and every sleep asked
    for is recorded."""
    now = [1_700_000_000.0]
    sleeps: list[float] = []

    def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(paperfetch, "sleep", fake_sleep)
    monkeypatch.setattr(paperfetch, "clock", lambda: now[0])
    return sleeps


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def english():
    """Messages are read in English here; the site's default language is Chinese."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def no_mailto(settings) -> None:
    settings.PAPER_FETCH_MAILTO = ""


# ---------------------------------------------------------------------------------------------
# Parsers, on each recording

MURRAY_ABSTRACT = (
    "Theoretical description of anisotropic systems, such as layered superconductors "
    "and coupled spin chains, is often a challenge due to the different natures of "
    "interactions along different directions. As a model of such a system, we present"
    ' an analytical study of d-dimensional "nodes" arranged as the vertices of a '
    "Bethe lattice, where each node has nonzero spatial dimension and is described by"
    " an O(N) quantum rotor model, and there is hopping between neighboring nodes. In"
    " the limit of large connectivity on the Bethe lattice, the hopping can be "
    "treated by constructing a self-consistent effective action for a single node. "
    "This procedure is akin to dynamical mean field theory, but generalized so that "
    "spatial as well as quantum fluctuations are taken into account on each node. The"
    " quantum phase transition is studied using this effective action for both "
    "infinite and finite N. The importance of the Perron-Frobenius uniform mode on "
    'the Bethe lattice is discussed, and its elimination via an "infinite range '
    'hopping" term shifts the transition, leading to nontrivial critical behavior. We'
    " calculate critical exponents and find that the internode hopping reduces the "
    "upper and lower critical dimensions each by one, indicating that--at least for "
    "the purposes of quantum criticality--the large number of internode couplings is "
    "similar to adding a single extra dimension to the theory describing a single "
    "node."
)

MURRAY = PaperDetails(
    title=(
        "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    ),
    authors=("James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic"),
    year=2011,
    published=datetime.date(2011, 11, 8),
    venue="Phys. Rev. B 85, 115117 (2012)",
    abstract=MURRAY_ABSTRACT,
    url="https://arxiv.org/abs/1111.2011",
    pdf_url="https://arxiv.org/pdf/1111.2011v2",
    arxiv="1111.2011",
    doi="10.1103/physrevb.85.115117",
    arxiv_version=2,
    updates=(),
)

STANLEY = PaperDetails(
    title="Heat-bath random walks with Markov bases",
    authors=("Caprice Stanley", "Tobias Windisch"),
    year=2016,
    published=datetime.date(2016, 5, 26),
    venue="",
    abstract=(
        "Graphs on lattice points are studied whose edges come from a finite set of allowed "
        "moves of arbitrary length. We show that the diameter of these graphs on fibers of a "
        "fixed integer matrix can be bounded from above by a constant. We then study the "
        "mixing behaviour of heat-bath random walks on these graphs. We also state explicit "
        "conditions on the set of moves so that the heat-bath random walk, a generalization "
        "of the Glauber dynamics, is an expander in fixed dimension."
    ),
    url="https://arxiv.org/abs/1605.08386",
    pdf_url="https://arxiv.org/pdf/1605.08386v1",
    arxiv="1605.08386",
    doi="",
    arxiv_version=1,
    updates=(),
)


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


ELIFE_ABSTRACT = (
    "Among various advantages, their small size makes model organisms preferred subjects of "
    "investigation. Yet, even in model systems detailed analysis of numerous developmental "
    "processes at cellular level is severely hampered by their scale. For instance, secondary "
    "growth of Arabidopsis hypocotyls creates a radial pattern of highly specialized tissues "
    "that comprises several thousand cells starting from a few dozen. This dynamic process is "
    "difficult to follow because of its scale and because it can only be investigated "
    "invasively, precluding comprehensive understanding of the cell proliferation, "
    "differentiation, and patterning events involved. To overcome such limitation, we "
    "established an automated quantitative histology approach. We acquired hypocotyl "
    "cross-sections from tiled high-resolution images and extracted their information content "
    "using custom high-throughput image processing and segmentation. Coupled with automated "
    "cell type recognition through machine learning, we could establish a cellular resolution "
    "atlas that reveals vascular morphodynamics during secondary growth, for example "
    "equidistant phloem pole formation."
)

ELIFE = PaperDetails(
    title=(
        "Automated quantitative histology reveals vascular morphodynamics during Arabidopsis "
        "hypocotyl secondary growth"
    ),
    authors=(
        "Martial Sankar",
        "Kaisa Nieminen",
        "Laura Ragni",
        "Ioannis Xenarios",
        "Christian S Hardtke",
    ),
    year=2014,
    published=datetime.date(2014, 2, 11),
    venue="eLife",
    abstract=ELIFE_ABSTRACT,
    url="https://doi.org/10.7554/elife.01567",
    pdf_url="https://cdn.elifesciences.org/articles/01567/elife-01567-v1.pdf",
    arxiv="",
    doi="10.7554/elife.01567",
    arxiv_version=None,
    updates=(),
)


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
# identify


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2106.09685", ("arxiv", "2106.09685")),
        ("2106.09685v2", ("arxiv", "2106.09685")),
        ("arXiv:2106.09685v2", ("arxiv", "2106.09685")),
        ("arxiv: 2106.09685", ("arxiv", "2106.09685")),
        ("  2106.09685\n", ("arxiv", "2106.09685")),
        ("https://arxiv.org/abs/2106.09685v2", ("arxiv", "2106.09685")),
        ("http://export.arxiv.org/abs/2106.09685", ("arxiv", "2106.09685")),
        ("https://arxiv.org/pdf/2106.09685v1.pdf", ("arxiv", "2106.09685")),
        ("arxiv.org/abs/2106.09685", ("arxiv", "2106.09685")),
        ("1706.03762v7", ("arxiv", "1706.03762")),
        ("astro-ph/0601001v1", ("arxiv", "astro-ph/0601001")),
        ("10.1038/nature14236", ("doi", "10.1038/nature14236")),
        ("10.1038/NATURE14236", ("doi", "10.1038/nature14236")),
        ("doi:10.1038/nature14236", ("doi", "10.1038/nature14236")),
        ("DOI: 10.1038/nature14236", ("doi", "10.1038/nature14236")),
        ("https://doi.org/10.1038/nature14236", ("doi", "10.1038/nature14236")),
        ("http://dx.doi.org/10.1038/nature14236", ("doi", "10.1038/nature14236")),
        ("https://www.doi.org/10.1038/nature14236", ("doi", "10.1038/nature14236")),
        ("doi.org/10.1038/nature14236", ("doi", "10.1038/nature14236")),
        ("10.48550/arXiv.2106.09685", ("doi", "10.48550/arxiv.2106.09685")),
    ],
)
def test_identify_reads_what_editors_paste(value: str, expected: tuple[str, str]) -> None:
    assert identify(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "LoRA",
        "javascript:alert(1)",
        "doi:javascript:alert(1)",
        "https://doi.org/javascript:alert(1)",
        "<script>alert(1)</script>",
        "https://example.com/paper.pdf",
        "10.1038",
        "10.1038/ nature14236",
        "10.1234/abc\x00def",
        "2106.0968",
        "arXiv:",
    ],
)
def test_identify_refuses_junk_with_a_clear_message(value: str) -> None:
    with pytest.raises(UnknownIdentifier) as caught:
        identify(value)
    # One kind of error for callers: a FetchError, and a ValueError for form validation.
    assert isinstance(caught.value, FetchError)
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == (
        "Not an arXiv id or a DOI: give e.g. 2106.09685, arXiv:2106.09685v2, "
        "10.1038/nature14236 or a doi.org address."
    )


def test_a_javascript_doi_asks_nothing_of_any_service() -> None:
    replay = Replay()
    for call in (fetch, fetch_doi, fetch_arxiv):
        with pytest.raises(UnknownIdentifier):
            call("javascript:alert(1)", client=replay.client)
    assert replay.requests == []


def test_fetch_arxiv_refuses_a_doi_and_fetch_doi_an_arxiv_id() -> None:
    replay = Replay()
    with pytest.raises(UnknownIdentifier, match="Not an arXiv id"):
        fetch_arxiv("10.1038/nature14236", client=replay.client)
    with pytest.raises(UnknownIdentifier, match="Not a DOI"):
        fetch_doi("2106.09685", client=replay.client)
    assert replay.requests == []


# ---------------------------------------------------------------------------------------------
# Fetching through recorded answers


def test_an_editor_pastes_an_arxiv_id_and_gets_the_paper() -> None:
    """The issue's example with the closest real recording found (LoRA's was not): an id pasted
    in any spelling fills in the paper."""
    replay = Replay(export_arxiv_org=recorded_arxiv("arxiv-1605.08386.json"))
    assert fetch("https://arxiv.org/abs/1605.08386v1", client=replay.client) == STANLEY
    [request] = replay.requests
    assert (request.method, request.url.scheme, request.url.host, request.url.path) == (
        "GET",
        "https",
        ARXIV_HOST,
        "/api/query",
    )
    assert dict(request.url.params) == {"id_list": "1605.08386"}


def test_a_versioned_id_asks_for_the_paper_and_reads_its_latest_version() -> None:
    replay = Replay(export_arxiv_org=(200, recorded("arxiv-1111.2011v2.xml")))
    details = fetch("arXiv:1111.2011v1", client=replay.client)
    assert details == MURRAY
    assert (details.arxiv, details.arxiv_version) == ("1111.2011", 2)
    assert replay.requests[0].url.params["id_list"] == "1111.2011"


def test_an_old_style_id_is_sent_as_it_is() -> None:
    replay = Replay(export_arxiv_org=recorded_arxiv("arxiv-astro-ph-0601001.json"))
    assert fetch_arxiv("astro-ph/0601001v1", client=replay.client).arxiv == "astro-ph/0601001"
    assert replay.requests[0].url.params["id_list"] == "astro-ph/0601001"


@pytest.mark.parametrize(
    "status",
    [
        pytest.param(400, id="as-recorded-since-2025"),
        # The same body with the status the API answered it with before 2025.
        pytest.param(200, id="older-api-status"),
    ],
)
def test_arxiv_error_entry_is_not_found(status: int) -> None:
    # arXiv answers every id it cannot use with this entry; the recorded one was for "abc".
    _, body = recorded_arxiv("arxiv-error-abc.json")
    replay = Replay(export_arxiv_org=(status, body))
    with pytest.raises(NotFound) as caught:
        fetch("2106.99999", client=replay.client)
    assert str(caught.value) == "arXiv has no paper with the id 2106.99999."


def test_arxiv_empty_feed_is_not_found() -> None:
    replay = Replay(export_arxiv_org=recorded_arxiv("arxiv-empty-0000.0000.json"))
    with pytest.raises(NotFound) as caught:
        fetch_arxiv("2106.99999", client=replay.client)
    assert str(caught.value) == "arXiv has no paper with the id 2106.99999."


def test_crossref_doi_is_read_from_crossref() -> None:
    replay = Replay(api_crossref_org=(200, recorded("crossref-10.7554-elife.01567.json")))
    assert fetch("https://doi.org/10.7554/eLife.01567", client=replay.client) == ELIFE
    [request] = replay.requests
    assert (request.url.host, request.url.path) == (CROSSREF_HOST, "/works/10.7554/elife.01567")


def test_crossref_404_is_not_found_once_datacite_does_not_know_the_doi_either() -> None:
    replay = Replay(
        api_crossref_org=(404, recorded("crossref-404.txt")),
        # Simulated: DataCite's status only (no recorded DataCite 404 was found).
        api_datacite_org=(404, b""),
    )
    with pytest.raises(NotFound) as caught:
        fetch("10.1371/notarealdoi", client=replay.client)
    assert str(caught.value) == "No paper is registered under the DOI 10.1371/notarealdoi."
    assert hosts(replay) == [CROSSREF_HOST, DATACITE_HOST]
    assert replay.requests[1].url.path == "/dois/10.1371/notarealdoi"


def test_an_arxiv_doi_is_read_from_datacite() -> None:
    replay = Replay(api_datacite_org=(200, recorded("datacite-10.48550-arxiv.1902.02534.json")))
    details = fetch("https://doi.org/10.48550/arXiv.1902.02534", client=replay.client)
    assert (details.arxiv, details.doi, details.arxiv_version) == (
        "1902.02534",
        "10.48550/arxiv.1902.02534",
        2,
    )
    [request] = replay.requests
    assert (request.url.host, request.url.path) == (
        DATACITE_HOST,
        "/dois/10.48550/arxiv.1902.02534",
    )
    assert request.headers["Accept"] == "application/vnd.api+json"


def test_an_arxiv_doi_falls_back_to_arxiv_when_datacite_fails() -> None:
    replay = Replay(
        api_datacite_org=(503, b""),
        export_arxiv_org=recorded_arxiv("arxiv-1605.08386.json"),
    )
    details = fetch_doi("10.48550/arXiv.1605.08386", client=replay.client)
    assert details.title == STANLEY.title
    assert (details.arxiv, details.doi) == ("1605.08386", "10.48550/arxiv.1605.08386")
    assert hosts(replay) == [DATACITE_HOST, ARXIV_HOST]


def timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


def refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (timeout, "arXiv did not answer in time; try again in a minute."),
        (refused, "arXiv could not be reached; try again later."),
        ((500, b""), "arXiv answered with a server error (HTTP 500); try again later."),
        ((503, b""), "arXiv answered with a server error (HTTP 503); try again later."),
        # arXiv's rate limiter's own words: with 429, and understood with any other status.
        ((429, b"Rate exceeded."), "arXiv is asking for fewer requests; try again in a minute."),
        ((200, b"Rate exceeded."), "arXiv is asking for fewer requests; try again in a minute."),
        ((503, b"Rate exceeded.\n"), "arXiv is asking for fewer requests; try again in a minute."),
    ],
)
def test_arxiv_not_answering_is_unavailable(answer: Answer, message: str) -> None:
    replay = Replay(export_arxiv_org=answer)
    with pytest.raises(Unavailable) as caught:
        fetch("1605.08386", client=replay.client)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (timeout, "Crossref did not answer in time; try again in a minute."),
        (refused, "Crossref could not be reached; try again later."),
        ((502, b""), "Crossref answered with a server error (HTTP 502); try again later."),
        ((429, b""), "Crossref is asking for fewer requests; try again in a minute."),
    ],
)
def test_crossref_not_answering_is_unavailable(answer: Answer, message: str) -> None:
    replay = Replay(api_crossref_org=answer)
    with pytest.raises(Unavailable) as caught:
        fetch("10.7554/elife.01567", client=replay.client)
    assert str(caught.value) == message


def test_malformed_answers_are_bad_responses() -> None:
    atom = recorded("arxiv-1111.2011v2.xml")[:2000]
    with pytest.raises(BadResponse, match="arXiv sent an answer that could not be read"):
        fetch("1111.2011", client=Replay(export_arxiv_org=(200, atom)).client)
    payload = recorded("crossref-10.7554-elife.01567.json")[:5000]
    with pytest.raises(BadResponse, match="Crossref sent an answer that could not be read"):
        fetch("10.7554/elife.01567", client=Replay(api_crossref_org=(200, payload)).client)


def test_an_unexpected_status_is_a_bad_response() -> None:
    replay = Replay(api_crossref_org=(403, b"Forbidden"))
    with pytest.raises(BadResponse) as caught:
        fetch("10.7554/elife.01567", client=replay.client)
    assert str(caught.value) == "Crossref answered with HTTP 403, which is not a paper."


def test_an_endless_answer_is_cut_short() -> None:
    def flood(request: httpx.Request) -> httpx.Response:
        chunks = (b"x" * 1024 * 1024 for _ in range(100))
        return httpx.Response(200, content=chunks)

    with pytest.raises(BadResponse, match="sent far too much"):
        fetch("1605.08386", client=Replay(export_arxiv_org=flood).client)


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


# ---------------------------------------------------------------------------------------------
# Cache, spacing, politeness


def test_the_second_fetch_of_a_paper_asks_nothing() -> None:
    replay = Replay(export_arxiv_org=recorded_arxiv("arxiv-1605.08386.json"))
    first = fetch("arXiv:1605.08386v1", client=replay.client)
    # Another spelling of the same paper is the same cache entry.
    second = fetch("https://arxiv.org/abs/1605.08386", client=replay.client)
    third = fetch_arxiv("1605.08386", client=replay.client)
    assert first == second == third == STANLEY
    assert len(replay.requests) == 1


def test_dois_are_cached_too() -> None:
    replay = Replay(api_crossref_org=(200, recorded("crossref-10.7554-elife.01567.json")))
    assert fetch("10.7554/elife.01567", client=replay.client) == ELIFE
    assert fetch("doi:10.7554/ELIFE.01567", client=replay.client) == ELIFE
    assert len(replay.requests) == 1


def test_failures_are_not_cached() -> None:
    replay = Replay(export_arxiv_org=[(503, b""), recorded_arxiv("arxiv-1605.08386.json")])
    with pytest.raises(Unavailable):
        fetch("1605.08386", client=replay.client)
    assert fetch("1605.08386", client=replay.client) == STANLEY
    assert len(replay.requests) == 2


def test_arxiv_requests_are_spaced_three_seconds_apart(slept: list[float]) -> None:
    replay = Replay(
        export_arxiv_org=[
            recorded_arxiv("arxiv-1605.08386.json"),
            recorded_arxiv("arxiv-astro-ph-0601001.json"),
        ]
    )
    fetch("1605.08386", client=replay.client)
    assert slept == []
    fetch("astro-ph/0601001", client=replay.client)
    assert slept == [3.0]
    # A cached answer asks nothing of arXiv, so nothing waits.
    fetch("1605.08386", client=replay.client)
    assert slept == [3.0]
    assert len(replay.requests) == 2


def test_the_spacing_counts_from_the_last_request_of_any_process(slept: list[float]) -> None:
    # Another process asked arXiv 1 second ago: its time is in the shared cache.
    now = paperfetch.clock()
    cache.set("paperfetch:v2:arxiv-last-request", now - 1.0, 60)
    fetch(
        "1605.08386", client=Replay(export_arxiv_org=recorded_arxiv("arxiv-1605.08386.json")).client
    )
    assert slept == [pytest.approx(2.0)]


def test_crossref_requests_are_not_spaced(slept: list[float]) -> None:
    replay = Replay(
        api_crossref_org=[
            (200, recorded("crossref-10.7554-elife.01567.json")),
            (200, recorded("crossref-10.1371-journal.ppat.1008184.json")),
        ]
    )
    fetch("10.7554/elife.01567", client=replay.client)
    fetch("10.1371/journal.ppat.1008184", client=replay.client)
    assert slept == []


def test_user_agent_and_mailto_are_sent(settings) -> None:
    settings.PAPER_FETCH_MAILTO = "editors@example.org"
    replay = Replay(
        export_arxiv_org=recorded_arxiv("arxiv-1605.08386.json"),
        api_crossref_org=(200, recorded("crossref-10.7554-elife.01567.json")),
    )
    fetch("1605.08386", client=replay.client)
    fetch("10.7554/elife.01567", client=replay.client)
    version = metadata.version("research-notes")
    agents = {request.headers["User-Agent"] for request in replay.requests}
    assert agents == {f"research-notes/{version} (mailto:editors@example.org)"}
    arxiv_request, crossref_request = replay.requests
    assert dict(crossref_request.url.params) == {"mailto": "editors@example.org"}
    assert "mailto" not in arxiv_request.url.params
    assert arxiv_request.headers["Accept"] == "application/atom+xml"
    assert crossref_request.headers["Accept"] == "application/json"


def test_without_mailto_none_is_sent() -> None:
    replay = Replay(api_crossref_org=(200, recorded("crossref-10.7554-elife.01567.json")))
    fetch("10.7554/elife.01567", client=replay.client)
    [request] = replay.requests
    assert request.headers["User-Agent"] == f"research-notes/{metadata.version('research-notes')}"
    assert "mailto" not in request.url.params


def test_the_timeout_comes_from_the_settings(settings) -> None:
    # Unset, it is 10 seconds (the settings file may come to set it).
    if hasattr(settings, "PAPER_FETCH_TIMEOUT"):
        del settings.PAPER_FETCH_TIMEOUT
    replay = Replay(export_arxiv_org=recorded_arxiv("arxiv-1605.08386.json"))
    fetch("1605.08386", client=replay.client)
    assert replay.requests[0].extensions["timeout"]["read"] == 10.0
    cache.clear()
    settings.PAPER_FETCH_TIMEOUT = 2.5
    fetch("1605.08386", client=replay.client)
    assert replay.requests[1].extensions["timeout"] == {
        "connect": 2.5,
        "read": 2.5,
        "write": 2.5,
        "pool": 2.5,
    }


def test_no_test_can_reach_the_network() -> None:
    with pytest.raises(AssertionError, match="never reach the network"):
        httpx.Client()
    # fetch() without a client builds its own, and that is refused here too.
    with pytest.raises(AssertionError, match="never reach the network"):
        fetch("1605.08386")


def test_the_module_stays_out_of_the_database() -> None:
    """import-linter's rule for the pure layer: no models, views or admin."""
    source = Path(paperfetch.__file__).read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    forbidden = ("notes.models", "notes.views", "notes.admin", "django.db")
    assert not [name for name in imported if name.startswith(forbidden)]
