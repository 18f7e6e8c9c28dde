"""What identifies a record across runs, and what counts as a change of its content.

A record is a story in one language: ``<site>:<article_id>:<language>`` (the primary language
subtag, so the ``en-AU`` and ``en`` locale copies are one record and a Spanish translation is its
own), or its canonical URL when the site gives no id. Its content is every field except those
that describe the fetch or the page around the story (``NOT_CONTENT``): the related-story cards
change every day while the story does not, and are never a revision.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

NOT_CONTENT = frozenset({"url", "related", "crawled_at", "record_schema", "revision", "changed_fields", "story"})
"""Fields whose change is not a revision of the story."""


def record_key(record: dict[str, Any]) -> str:
    """The record's identity across runs and URLs."""
    article_id = record.get("article_id")
    if not article_id:
        return str(record.get("canonical_url") or record.get("url"))
    language = str(record.get("language") or "").split("-")[0].lower()
    return f"{record.get('site')}:{article_id}:{language}"


def digest(value: Any) -> str:
    """A short content hash of a JSON-able value (16 hex digits): what the state keeps of a field or a signal."""
    return hashlib.blake2b(orjson.dumps(value, option=orjson.OPT_SORT_KEYS), digest_size=8).hexdigest()


def field_hashes(record: dict[str, Any]) -> dict[str, str]:
    """A short hash of each content field that has a value."""
    return {name: digest(value) for name, value in record.items()
            if name not in NOT_CONTENT and value not in (None, "", [])}


def changed_fields(old: dict[str, str], new: dict[str, str]) -> list[str]:
    """Names of the content fields that differ (added, removed or changed), sorted."""
    return sorted(name for name in old.keys() | new.keys() if old.get(name) != new.get(name))
