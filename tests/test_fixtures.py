"""Regression tests on recorded pages, discovered from ``fixtures/<spider>/<case>/``.

``test_case_crawl`` runs one real ``scrapy crawl`` per case on the cassette that
pytest-recording's ``vcr`` fixture opens (``fixtures/<spider>/<case>/cassette.yaml``), with its
record mode: ``--record-mode=none`` (CI) replays offline, ``once``/``new_episodes``/``rewrite``
re-record from the live site. ``test_field`` then checks every field of the expected record,
one test per case and field, with a readable failure (page, field, expected, got, a diff for
long text), and ``test_no_unexpected_value`` that every field the expected record leaves out is
empty in the crawl's record (expected records are complete and hold no empty value).
A missing or stale cassette fails; nothing here skips.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES, CrawlResult, crawl_ahead, run_crawl

from broadsheet.recording.handler import cassette_text, is_compressed
from broadsheet.testing.cases import Case, discover, empty_paths, explain, field_paths, unexpected, value_at

CASES = discover(FIXTURES)
RESULTS: dict[str, CrawlResult] = {}


def case_field_params() -> list:
    params = []
    for case in CASES:
        paths = [("removed", True)] if case.expected.get("removed") else field_paths(case.expected)
        params += [pytest.param(case, path, value, id=f"{case.id}:{path}") for path, value in paths]
    return params


@pytest.fixture
def vcr_cassette_dir() -> str:
    """Cassettes live with the fixtures: ``fixtures/<spider>/<case>/cassette.yaml``."""
    return str(FIXTURES)


@pytest.fixture
def default_cassette_name(request) -> str:
    """The case's own share of its spider's recordings."""
    case: Case = request.node.callspec.params["case"]
    return f"{case.spider}/{case.name}/cassette"


@pytest.fixture
def vcr_config(request) -> dict:
    """Compressed cases (``cassette.yaml.gz``) through the serializer name ``yaml.gz`` (see conftest)."""
    case: Case | None = getattr(request.node, "callspec", None) and request.node.callspec.params.get("case")
    return {"serializer": "yaml.gz"} if case and is_compressed(case.cassette) else {}


def crawl_case(case: Case, folder: Path, cassette: Path, record_mode: str = "none") -> CrawlResult:
    """Crawl the case's URLs over ``cassette``; remembered for the field tests."""
    result = run_crawl(folder, case.spider, "-s", f"VCR_RECORD_MODE={record_mode}", urls=case.meta["urls"],
                       cassette=cassette)
    RESULTS[case.id] = result
    return result


def replay_case(folder: Path, case: Case) -> CrawlResult:
    """The case's replay over its own cassette: run ahead, offline (``pytest_generate_tests``)."""
    return crawl_case(case, folder, case.cassette)


def pytest_generate_tests(metafunc) -> None:
    """Offline (``--record-mode=none``), the crawl of every case this session tests runs ahead, in
    the background from the session's start (``crawl_ahead``), each its own ``scrapy crawl``."""
    if metafunc.definition.name == "test_case_crawl":
        ahead = [crawl_ahead(replay_case)] if metafunc.config.getoption("--record-mode") == "none" else []
        metafunc.parametrize("case", [pytest.param(case, id=case.id, marks=ahead) for case in CASES])


def test_cases_are_discovered():
    assert CASES, f"no fixture case under {FIXTURES}"
    for case in CASES:
        assert {"urls", "reference_time", "schema"} <= set(case.meta), case.id


@pytest.mark.vcr
def test_case_crawl(vcr, case: Case, tmp_path, request):
    """The case's pages replay (or record) completely, at the recording's reference time."""
    cassette = Path(vcr._path)
    mode = getattr(vcr.record_mode, "value", vcr.record_mode)
    if mode == "none":
        assert cassette.exists(), f"{case.id}: no cassette at {cassette}; record it with `scrapy fixture add`"
    same = request.node.get_closest_marker("ahead") is not None and cassette == case.cassette  # replayed ahead
    result = request.getfixturevalue("crawled") if same else crawl_case(case, tmp_path, cassette, mode)
    assert result.returncode == 0, result.log[-3000:]
    failed = {k: v for k, v in result.stats.items() if k.startswith("broadsheet/pages/failed/")}
    assert not failed, f"{case.id}: requests the cassette cannot answer (stale?): {failed}\n{result.log[-2000:]}"
    dates = [line for line in cassette_text(cassette).splitlines() if line.strip().lower() == "date:"]
    assert dates, f"{case.id}: the cassette keeps no Date header, so no reference time"
    if case.expected.get("removed"):
        assert not result.items
    else:
        assert result.items and result.items[0]["crawled_at"] == case.meta["reference_time"]


@pytest.mark.parametrize(("case", "path", "expected"), case_field_params())
def test_field(case: Case, path: str, expected, tmp_path):
    result = RESULTS.get(case.id) or crawl_case(case, tmp_path, case.cassette)
    assert result.returncode == 0, result.log[-3000:]
    record = result.by_url().get(case.meta["urls"][0])
    if path == "removed":
        assert record is None, f"{case.id}: a removed page reached the dataset"
        return
    assert record is not None, f"{case.id}: no record for {case.meta['urls'][0]}\n{result.log[-2000:]}"
    got = value_at(record, path)
    assert got == expected, explain(case, path, expected, got)


@pytest.mark.parametrize("case", [c for c in CASES if not c.expected.get("removed")], ids=lambda c: c.id)
def test_no_unexpected_value(case: Case, tmp_path):
    """A field the expected record leaves out is empty in the crawl's record: nothing gained silently."""
    result = RESULTS.get(case.id) or crawl_case(case, tmp_path, case.cassette)
    record = result.by_url().get(case.meta["urls"][0])
    assert record is not None, f"{case.id}: no record\n{result.log[-2000:]}"
    extra = unexpected(record, case.expected)
    assert not extra, (f"{case.id}: values the expected record does not hold: {sorted(extra)}; "
                       f"if right, `scrapy fixture update {case.spider} --case {case.name} --write`")


def test_expected_records_hold_no_empty_value():
    """fundus's rule: an expected record names only what the page has."""
    empty = {case.id: empty_paths(case.expected) for case in CASES if empty_paths(case.expected)}
    assert not empty, f"empty values in expected records (leave the field out instead): {empty}"


def test_expected_records_are_valid_json_objects():
    for case in CASES:
        assert json.loads((case.folder / "expected.json").read_text(encoding="utf-8"))["url"] == case.meta["urls"][0]
