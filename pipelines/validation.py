"""Schema validation in the crawl: valid items go on as records, invalid ones to quarantine.

Settings:

- ``SCHEMA``: ``subject[@version]`` every item is validated against (default ``article``, the
  newest version). Items are projected onto that version's top-level properties, so a spider
  that emits a newer version still feeds a dataset pinned to an older one.
- ``QUARANTINE_URI``: JSON Lines file for invalid items (default: beside the first local feed,
  ``<feed>.quarantine.jsonl``; else ``quarantine/<spider>.jsonl``). ``%(name)s`` is the spider.
  Written anew when that feed is (``-O``); otherwise each crawl's invalid items are appended, under
  the file's lock, so no crawl's quarantine replaces an earlier or a concurrent one's.
- ``QUARANTINE_MAX_SHARE``: the share of invalid items (0..1) above which the crawl finishes
  with close reason ``failed_invalid_share`` and ``scrapy crawl`` exits 1 (default 0.1).

A valid item leaves this pipeline as a plain dict in schema field order, with
``record_schema`` set to ``subject@version`` where the version has that field; the exporters
write it as is. Text holding U+FFFD (the replacement character: bytes a decode could not read)
is invalid too, reason ``replacement_character`` (``RecordValidator``). An invalid item never
reaches a feed: it is written to the quarantine file (the
item as extracted, every error with its JSON path, message and keyword, subject@version, URL,
spider, time) and dropped; stats count it per field and keyword under ``broadsheet/invalid/``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured

from broadsheet.extensions.gates import connect_gate
from broadsheet.extensions.outcomes import ItemQuarantined
from broadsheet.items import as_record
from broadsheet.storage.commit import (
    commit_after_feeds,
    crawl_id,
    effective_reason,
    keep_beside,
    succeeded,
    write_failed,
)
from broadsheet.storage.files import (
    GuardedFile,
    discard,
    feed_overwrites,
    publish,
    publish_appended,
    side_file,
    temporary_beside,
)
from schemas.registry import SchemaError, default_registry, json_path

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

FAILED_INVALID_SHARE = "failed_invalid_share"  # "failed_*" reasons make `scrapy crawl` exit 1


REPLACEMENT = "\ufffd"
REPLACEMENT_UTF8 = REPLACEMENT.encode("utf-8")


@dataclass(frozen=True)
class TextError:
    """A text value holding U+FFFD, told like a schema error (``instance_path``, ``schema_path``,
    ``message``) so that the quarantine, its stats and ``scrapy schema validate`` name it alike."""

    instance_path: tuple[str | int, ...]
    message: str = ("holds U+FFFD, the replacement character: text lost when the page's bytes were "
                    "decoded (see broadsheet/text/invalid_bytes) or before, at the source")
    schema_path: tuple[str, ...] = ("replacement_character",)


def text_errors(value: Any, path: tuple[str | int, ...] = ()) -> list[TextError]:
    """Every string in a record (nested lists and objects too) that holds U+FFFD."""
    if isinstance(value, str):
        return [TextError(path)] if REPLACEMENT in value else []
    if isinstance(value, dict):
        return [e for key, sub in value.items() for e in text_errors(sub, (*path, key))]
    if isinstance(value, list):
        return [e for index, sub in enumerate(value) for e in text_errors(sub, (*path, index))]
    return []


class RecordValidator:
    """The schema's validator plus the rule no schema states: a record's text never holds
    U+FFFD. A replacement character marks text that is gone (bytes a decode could not read),
    so exporting it would pass corruption off as data: the record is quarantined instead, with
    the reason ``replacement_character`` at the field's JSON path."""

    def __init__(self, schema_validator: Any):
        self.schema_validator = schema_validator

    def is_valid(self, record: dict[str, Any]) -> bool:
        """Valid against the schema and free of U+FFFD (one scan of the record as JSON, which
        writes U+FFFD as itself; the paths are looked for only when it is there)."""
        return self.schema_validator.is_valid(record) and REPLACEMENT_UTF8 not in orjson.dumps(record, default=str)

    def iter_errors(self, record: dict[str, Any]) -> Iterator[Any]:
        """The schema's errors, then one per text value holding U+FFFD."""
        yield from self.schema_validator.iter_errors(record)
        yield from text_errors(record)


class Quarantine:
    """The quarantine file: lines written as they come to a temporary file, committed at close
    after the feeds (``broadsheet.storage.commit``: a failed crawl, or one whose feed failed to
    commit, keeps its file beside the previous one), appended to the file when ``append``, else
    replacing it. ``hint``: what to do when it cannot be written."""

    def __init__(self, path: Path, crawler: Crawler, hint: str, append: bool):
        self.path = path
        self.crawler = crawler
        self.hint = hint
        self.append = append
        self.count = 0
        try:
            self.tmp = temporary_beside(path)
            raw = self.tmp.open("wb")
        except OSError as exc:
            self.tmp, raw = None, None
            self._file = GuardedFile(None, self._failed)
            self._file.fail(exc)
        else:
            self._file = GuardedFile(raw, self._failed)

    def _failed(self, exc: Exception) -> None:
        write_failed(self.crawler, self.path, exc, self.hint)

    def write(self, entry: dict[str, Any]) -> None:
        """Append one quarantined item; flushed, so a crash loses none."""
        self._file.write(orjson.dumps(entry, default=str) + b"\n")
        self._file.flush()
        self.count += 1

    def close(self) -> None:
        """Publish the file under its final name (empty when nothing was invalid) if the crawl
        succeeded; else keep it beside as ``<file>.failed-<crawl id>`` (when it holds anything)."""
        self._file.finish()
        if self.tmp is None:
            return
        reason = effective_reason(self.crawler)
        ok = succeeded(self.crawler, reason)
        try:
            if self._file.failed is not None or not (self.count or ok):
                discard(self.tmp)
            elif ok and self.append:
                publish_appended(self.path, self.tmp)
            elif ok:
                publish(self.tmp, self.path)
            else:
                keep_beside(self.crawler, self.tmp, self.path, reason)
        except OSError as exc:
            self._failed(exc)


class SchemaValidationPipeline:
    """Validates every item against the pinned schema; quarantines the invalid ones."""

    def __init__(self, crawler: Crawler, schema_ref: str, max_share: float):
        registry = default_registry()
        self.crawler = crawler
        self.stats = crawler.stats
        self.version = registry.get(schema_ref)
        self.validator = RecordValidator(registry.validator(self.version.ref))
        self.properties = tuple(self.version.schema.get("properties", {}))
        self.stamp = self.version.ref if "record_schema" in self.properties else None
        self.max_share = max_share
        self.quarantine: Quarantine | None = None
        self.seen = 0
        self.invalid = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SchemaValidationPipeline:
        """Reads ``SCHEMA`` and ``QUARANTINE_MAX_SHARE`` (both checked by the preflight first)."""
        settings = crawler.settings
        ref = settings.get("SCHEMA") or ""
        if not ref:
            raise NotConfigured("SCHEMA is empty: items are not validated")
        try:
            pipeline = cls(crawler, ref, settings.getfloat("QUARANTINE_MAX_SHARE", 0.1))
        except SchemaError as exc:
            raise ValueError(f"SCHEMA={ref!r}: {exc}") from exc
        crawler.signals.connect(pipeline.spider_opened, signal=signals.spider_opened)
        connect_gate(crawler, pipeline.spider_idle)
        commit_after_feeds(crawler, pipeline.commit)
        return pipeline

    def spider_opened(self, spider: Spider) -> None:
        """Open the quarantine file and record which schema this crawl validates against."""
        settings = self.crawler.settings
        path = (side_file(settings, "QUARANTINE_URI", spider.name, ".quarantine.jsonl")
                or Path("quarantine") / f"{spider.name}.jsonl")
        crawl_id(self.crawler)
        hint = ("set QUARANTINE_URI to a writable file" if settings.get("QUARANTINE_URI")
                else "it goes beside the feed: write the feed to a writable folder, or set QUARANTINE_URI")
        self.quarantine = Quarantine(path, self.crawler, hint, append=not feed_overwrites(settings, spider.name))
        self.stats.set_value("broadsheet/schema", self.version.ref)
        logger.info("Validating items against %(schema)s; invalid ones go to %(path)s",
                    {"schema": self.version.ref, "path": path})

    def process_item(self, item: Any) -> dict[str, Any]:
        """The item as a record if valid; otherwise quarantined and dropped."""
        record = as_record(item)
        if tuple(record) != self.properties:  # another version's fields: project onto this one's
            record = {key: record.get(key) for key in self.properties}
        if self.stamp:
            record["record_schema"] = self.stamp
        self.seen += 1
        if self.validator.is_valid(record):
            self.stats.inc_value("broadsheet/valid")
            return record
        self._quarantine(record)
        raise ItemQuarantined(f"invalid against {self.version.ref}, quarantined in {self.quarantine.path}: "
                       f"{record.get('url')}")

    def _quarantine(self, record: dict[str, Any]) -> None:
        self.invalid += 1
        errors = []
        for error in self.validator.iter_errors(record):
            parts = list(error.instance_path)
            keyword = str(error.schema_path[-1]) if error.schema_path else ""
            errors.append({"path": json_path(parts), "message": error.message, "keyword": keyword})
            self.stats.inc_value(f"broadsheet/invalid/{json_path(parts, index='')[2:] or '$'}/{keyword}")
        self.stats.inc_value("broadsheet/quarantined")
        self.quarantine.write({
            "schema": self.version.ref,
            "url": record.get("url"),
            "spider": self.crawler.spider.name,
            "time": dt.datetime.now(dt.UTC).isoformat(),
            "errors": errors,
            "item": record,
        })
        logger.warning("Quarantined %(url)s: %(errors)s",
                       {"url": record.get("url"), "errors": "; ".join(f"{e['path']}: {e['message']}" for e in errors)})

    def share_exceeded(self) -> bool:
        """Whether the invalid share is above ``QUARANTINE_MAX_SHARE``."""
        return self.seen > 0 and self.invalid / self.seen > self.max_share

    def spider_idle(self, spider: Spider) -> None:
        """Before the crawl finishes, fail it if too many items were invalid."""
        if self.share_exceeded():
            logger.error("%(invalid)d of %(seen)d items invalid against %(schema)s, above "
                         "QUARANTINE_MAX_SHARE=%(max)s: the crawl fails",
                         {"invalid": self.invalid, "seen": self.seen, "schema": self.version.ref,
                          "max": self.max_share})
            raise CloseSpider(FAILED_INVALID_SHARE)

    def commit(self) -> None:
        """Commit the quarantine file after the feeds (or keep it beside, if the crawl failed)."""
        if self.quarantine is not None:
            self.quarantine.close()
