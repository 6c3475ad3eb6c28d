"""fetch() through recorded answers: which service is asked, and each way it can fail."""

from __future__ import annotations

import httpx
import pytest

from notes.paperfetch import (
    BadResponse,
    NotFound,
    Unavailable,
    fetch,
    fetch_arxiv,
    fetch_doi,
)
from tests.paperfetch.support import (
    ARXIV_HOST,
    CROSSREF_HOST,
    DATACITE_HOST,
    ELIFE,
    MURRAY,
    STANLEY,
    Answer,
    Replay,
    hosts,
    recorded,
    recorded_arxiv,
)

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
