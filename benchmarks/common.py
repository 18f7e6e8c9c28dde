"""Realistic article items for benchmarks: the recorded Mitrade pages run through the spider."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def articles() -> list:
    """``Article`` items extracted from every recorded article page (related stories included)."""
    import yaml
    from scrapy.http import HtmlResponse, Request
    from scrapy.utils.test import get_crawler

    from spiders.mitrade import MitradeSpider

    data = yaml.safe_load((ROOT / "fixtures" / "mitrade" / "cassette.yaml").read_text(encoding="utf-8"))
    spider = MitradeSpider.from_crawler(get_crawler(MitradeSpider))
    items = []
    for interaction in data["interactions"]:
        url = interaction["request"]["uri"]
        if "article-" not in url or interaction["response"]["status"]["code"] != 200:
            continue
        response = HtmlResponse(url=url, body=interaction["response"]["body"]["string"].encode(),
                                headers={"Date": interaction["response"]["headers"]["date"][0],
                                         "Content-Type": "text/html; charset=utf-8"},
                                request=Request(url))
        items.extend(spider.parse_article(response))
    return items
