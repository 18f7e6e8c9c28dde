"""The project's spider loader (``SPIDER_LOADER_CLASS``): a registered schema the registry
refuses is the user's mistake, told in one line.

Spider modules import the item classes, which are derived from the newest article schema at
import; a schema the registry refuses (a ``$ref`` cycle, nesting too deep, a broken file) would
end every command that loads spiders (``scrapy crawl``, ``list``, ``fixture``) in a traceback
and exit 1. Here it is one line naming the file and what is wrong, and exit 2 (bad input), as
``scrapy schema check`` reports it.
"""

from __future__ import annotations

import sys

from scrapy.spiderloader import SpiderLoader

BAD_INPUT = 2


class ProjectSpiderLoader(SpiderLoader):
    """Scrapy's spider loader; a ``SchemaError`` while importing spiders exits 2 in one line."""

    def _load_all_spiders(self) -> None:
        from schemas.registry import SchemaError

        try:
            super()._load_all_spiders()
        except SchemaError as exc:
            print(f"scrapy: error: schema: {exc}; no spider can load until the registry accepts it "
                  "(`scrapy schema check` shows what it refuses)", file=sys.stderr)
            raise SystemExit(BAD_INPUT) from None
