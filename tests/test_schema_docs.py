"""The committed data dictionary is what the registry generates."""

from schemas.docs import DICTIONARY, render
from schemas.registry import default_registry


def test_data_dictionary_is_in_sync():
    assert DICTIONARY.read_text(encoding="utf-8") == render(default_registry()), (
        "docs/data-dictionary.md is stale: run `scrapy schema docs`")


def test_every_field_is_documented_with_its_version():
    text = DICTIONARY.read_text(encoding="utf-8")
    for field in default_registry().get("article").schema["properties"]:
        assert f"| `{field}` |" in text
    assert "| `crawled_at` | string (date-time) or null | no | 2 |" in text
    assert "| `headline` | string | yes | 1 |" in text
