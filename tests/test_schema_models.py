"""The pydantic models accept exactly the records the registered article@2 file accepts."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from schemas.models import Article
from schemas.registry import default_registry

GOOD = json.loads((Path(__file__).parent / "data" / "article_v2.json").read_text(encoding="utf-8"))


def mutate(path: str, value) -> dict:
    record = copy.deepcopy(GOOD)
    *parents, last = path.split(".")
    target = record
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return record


RECORDS = {
    "as crawled": GOOD,
    "headline empty": mutate("headline", ""),
    "headline null": mutate("headline", None),
    "headline missing": mutate("headline", KeyError),
    "date_published date only": mutate("date_published", "2025-09-17"),
    "date_published no offset": mutate("date_published", "2025-09-17T06:41:12"),
    "date_published null": mutate("date_published", None),
    "publication_date bad month": mutate("publication_date", "2025-13-17"),
    "publication_date null": mutate("publication_date", None),
    "extra field": mutate("surprise", 1),
    "optional field missing": mutate("description", KeyError),
    "image not a uri": mutate("image", "not a uri"),
    "authors with empty": mutate("authors", [""]),
    "tickers not strings": mutate("tickers", [1]),
    "site upper case": mutate("site", "Mitrade"),
    "language bad": mutate("language", "english!"),
    "language null": mutate("language", None),
    "related url bad": mutate("related.0.url", "nope"),
    "related extra": mutate("related.0.extra", True),
    "related author null": mutate("related.0.author", None),
    "related date bad": mutate("related.0.date_published", "Feb 05"),
    "related missing summary": mutate("related.0.summary", KeyError),
    "record_schema bad": mutate("record_schema", "article"),
    "article_id number": mutate("article_id", 1129088),
}


@pytest.mark.parametrize("name", RECORDS)
def test_model_and_schema_agree(name):
    record = RECORDS[name]
    schema_ok = default_registry().validator("article@2").is_valid(record)
    try:
        Article.model_validate_json(json.dumps(record))
        model_ok = True
    except ValidationError:
        model_ok = False
    assert model_ok is schema_ok, f"{name}: model says {model_ok}, registered schema says {schema_ok}"


def test_the_models_describe_the_newest_version():
    newest = default_registry().get("article").schema
    assert set(Article.model_fields) == set(newest["properties"])


def test_the_committed_models_are_what_the_schema_generates():
    from schemas.typed import MODELS, render

    assert MODELS.read_text(encoding="utf-8") == render(default_registry()), (
        "schemas/models.py is stale: run `scrapy schema models`")
