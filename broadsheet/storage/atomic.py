"""Feed storage for local files that never leaves a half file under the final name.

Items are written to a temporary file in the same folder (``.<name>.<pid>.tmp``); on success the
file is flushed, fsynced and renamed over the final name, which is atomic on POSIX. A crawl
killed mid-export (even by SIGKILL) leaves the previous complete file untouched. With ``-o``
(append), the temporary file starts as a copy of the existing one.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import IO, Any

from scrapy import Spider
from w3lib.url import file_uri_to_path


class AtomicFileFeedStorage:
    """``FEED_STORAGES`` entry for ``file://`` URIs and plain paths."""

    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None):
        self.path = Path(file_uri_to_path(uri) if uri.startswith("file:") else uri)
        self.overwrite = bool((feed_options or {}).get("overwrite", False))
        self.format = (feed_options or {}).get("format")
        self.tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")

    def open(self, spider: Spider) -> IO[bytes]:
        """The temporary file items are written to."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.overwrite and self.path.exists():
            if self.format == "parquet":
                raise ValueError(f"{self.path}: a Parquet file cannot be appended to; overwrite it with "
                                 "-O, or add to a dataset with DATASET_URI")
            shutil.copyfile(self.path, self.tmp)
            return self.tmp.open("ab")
        return self.tmp.open("wb")

    def store(self, file: IO[bytes]) -> None:
        """Make the file durable, then publish it under its final name."""
        if not file.closed:
            file.flush()
            os.fsync(file.fileno())
            file.close()
        os.replace(self.tmp, self.path)
