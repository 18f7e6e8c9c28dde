"""A crawl's side files (quarantine, coverage and stats reports, manifests): where, and how.

Side files go beside the crawl's first local feed unless a setting names them, and a report is
written whole: to a temporary name in the same folder, fsynced, then renamed over the final one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlparse


def beside_feed(feeds: dict[str, Any], spider_name: str, suffix: str) -> Path | None:
    """``<feed folder>/<feed stem><suffix>`` for the first local feed (``out/x.jsonl`` with
    ``.coverage.json`` -> ``out/x.coverage.json``), or None when no feed is a local file."""
    for uri in feeds:
        parsed = urlparse(str(uri))
        if parsed.scheme not in ("", "file"):
            continue
        try:
            path = Path((parsed.path if parsed.scheme == "file" else str(uri)) % {"name": spider_name})
        except (KeyError, ValueError, TypeError):  # other URI parameters: no stable name
            continue
        return path.with_name(path.name.split(".")[0] + suffix)
    return None


def side_file(settings: Any, setting: str, spider_name: str, suffix: str) -> Path | None:
    """Where a side file goes: the path the ``setting`` names (``%(name)s`` = spider), else beside
    the first local feed with ``suffix``, else None."""
    uri = settings.get(setting)
    if uri:
        return Path(uri % {"name": spider_name})
    return beside_feed(settings.getdict("FEEDS"), spider_name, suffix)


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader sees the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
