"""Regression tests on recorded pages: one test per case and field, discovered from fixtures/.

Each case is crawled once (a real ``scrapy crawl`` over its cassette, offline); every field its
expected record names must be equal. Add a case with ``scrapy fixture add``.
"""

from __future__ import annotations

import pytest

from conftest import FIXTURES, run_crawl
from fixture_cases import Case, discover, explain, field_paths, value_at

CASES = discover(FIXTURES)
PARAMS = [
    pytest.param(case, path, value, id=f"{case.id}:{path}")
    for case in CASES
    for path, value in (field_paths(case.expected) if not case.expected.get("removed") else [("removed", True)])
]


@pytest.fixture(scope="session")
def crawled(tmp_path_factory):
    """Crawl each case once per session; results by case id."""
    results = {}

    def get(case: Case):
        if case.id not in results:
            folder = tmp_path_factory.mktemp(case.name)
            results[case.id] = run_crawl(folder, case.spider, urls=case.meta["urls"], cassette=case.cassette)
        return results[case.id]

    return get


def test_cases_are_discovered():
    assert len(CASES) >= 9, [case.id for case in CASES]


@pytest.mark.parametrize(("case", "path", "expected"), PARAMS)
def test_field(crawled, case: Case, path: str, expected):
    result = crawled(case)
    assert result.returncode == 0, result.log[-3000:]
    record = result.by_url().get(case.meta["urls"][0])
    if path == "removed":
        assert record is None, f"{case.id}: a removed page reached the dataset"
        return
    assert record is not None, f"{case.id}: no record for {case.meta['urls'][0]}\n{result.log[-2000:]}"
    got = value_at(record, path)
    assert got == expected, explain(case, path, expected, got)
