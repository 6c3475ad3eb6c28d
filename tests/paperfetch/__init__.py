"""notes.paperfetch against recorded real answers of arXiv, Crossref and DataCite
(tests/fixtures/papers/README.md says where each was recorded), replayed through httpx's
MockTransport: no test reaches the network."""
