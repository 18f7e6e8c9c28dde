"""Embedded page state: Next.js ``__NEXT_DATA__`` (JSON-LD and metas are read by ``broadsheet.extract``)."""

from __future__ import annotations

import json
import logging
from typing import Any

from lxml import etree

from broadsheet.extract.xpath import first

logger = logging.getLogger(__name__)


def _loads(text: str | None, what: str, url: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        logger.warning("Unparseable %(what)s on %(url)s", {"what": what, "url": url})
        return None


def next_data(root: etree._Element, url: str = "") -> dict[str, Any]:
    """The Next.js page state (``<script id="__NEXT_DATA__">``), or an empty dict."""
    data = _loads(first(root, '//script[@id="__NEXT_DATA__"]/text()'), "__NEXT_DATA__", url)
    return data if isinstance(data, dict) else {}
