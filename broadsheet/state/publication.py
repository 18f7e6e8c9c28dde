"""Whether a crawl's outputs were published: what the crawl state asks after a run was killed.

``outputs(crawler)`` describes, before anything is published, where the crawl's records go:
each local feed (its final path and the inode found there now: publication renames a new file
over it, so a different inode, or a file where there was none, means it was published) and each
dataset (published once the crawl id is in ``_manifest.json``, or decided once
``_staging/<crawl id>/_commit.json`` is written: the next crawl into it completes that commit).
Feeds on other storages (S3, FTP...) cannot be looked at: ``unknown``.

``published(pending)`` answers from that description: True when any output holds the crawl's
records (or could, for an unknown one), since its stories then reached downstream. ``settle``
also completes such a run: it writes the removals file the run would have written last.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from broadsheet.storage.atomic import AtomicFileFeedStorage
from broadsheet.storage.commit import crawl_id
from broadsheet.storage.dataset import JOURNAL, MANIFEST, STAGING
from broadsheet.storage.files import write_text_atomically

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


def _inode(path: Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def outputs(crawler: Crawler) -> dict[str, Any]:
    """The crawl's id and outputs as they are before publication (JSON-ready)."""
    from scrapy.extensions.feedexport import FeedExporter

    feeds, unknown = [], []
    for extension in crawler.extensions.middlewares:
        if isinstance(extension, FeedExporter):
            for slot in extension.slots:
                if isinstance(slot.storage, AtomicFileFeedStorage):
                    path = slot.storage.path.absolute()
                    feeds.append({"path": str(path), "inode": _inode(path)})
                else:
                    unknown.append(slot.uri)
    dataset = crawler.settings.get("DATASET_URI")
    return {"crawl_id": crawl_id(crawler), "feeds": feeds, "unknown": unknown,
            "datasets": [str(Path(dataset).absolute())] if dataset else []}


def _dataset_has(root: Path, crawl: str) -> bool:
    if (root / STAGING / crawl / JOURNAL).exists():
        return True
    try:
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return any(entry.get("crawl_id") == crawl for entry in manifest.get("crawls", []))


def published(pending: dict[str, Any]) -> bool:
    """Whether any output of the crawl ``pending`` describes holds its records."""
    if pending.get("unknown"):
        return True
    if any(_inode(Path(feed["path"])) not in (None, feed["inode"]) for feed in pending.get("feeds", [])):
        return True
    return any(_dataset_has(Path(root), pending["crawl_id"]) for root in pending.get("datasets", []))


def write_removals(removals: dict[str, str] | None) -> None:
    """Write a run's removals file (``{"path", "text"}``), if it has one."""
    if removals:
        write_text_atomically(Path(removals["path"]), removals["text"])


def settle(pending: dict[str, Any]) -> bool:
    """Whether a killed crawl published its outputs; if so, its removals file is written too."""
    if not published(pending):
        return False
    write_removals(pending.get("removals"))
    return True
