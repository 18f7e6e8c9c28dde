"""The byte-scanning meta-refresh middleware decides as Scrapy's own does, page by page."""

from __future__ import annotations

import pytest
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from broadsheet.middlewares.metarefresh import SCANNED_CHARACTERS, ByteScanMetaRefreshMiddleware, scannable

URL, TARGET = "https://news.example.com/a", "https://news.example.com/b"
REFRESH = f'<meta http-equiv="REFRESH" content="0; url={TARGET}">'
FILLER = "<p>日本語の本文。</p>"  # 3 bytes a character in UTF-8, 2 in Shift-JIS


def html(head: str = "", body: str = "") -> str:
    return f"<html><head>{head}<title>t</title></head><body>{body}</body></html>"


PAGES = {
    "utf-8 refresh": (html(REFRESH), "utf-8"),
    "utf-8 none": (html(body=FILLER * 50), "utf-8"),
    "utf-8 the word only": (html(body="<p>Refresh the page</p>"), "utf-8"),
    "utf-16 refresh": (html(REFRESH), "utf-16"),
    "utf-32 refresh": (html(REFRESH), "utf-32"),
    "shift-jis refresh after filler": (html(FILLER * 20 + REFRESH), "shift_jis"),
    "iso-2022-jp refresh": (html("日" + REFRESH), "iso-2022-jp"),
    "gb18030 refresh late in the window": (html(body="中" * (SCANNED_CHARACTERS - 200) + REFRESH), "gb18030"),
    "refresh past Scrapy's window": (html(body="x" * SCANNED_CHARACTERS + REFRESH), "utf-8"),
}


@pytest.mark.parametrize("name", PAGES)
def test_the_byte_scan_decides_as_scrapy_does(name):
    text, encoding = PAGES[name]
    crawler = get_crawler()
    ours, scrapys = ByteScanMetaRefreshMiddleware.from_crawler(crawler), MetaRefreshMiddleware.from_crawler(crawler)

    def outcome(middleware: MetaRefreshMiddleware) -> str:
        headers = {"Content-Type": f"text/html; charset={encoding}"}
        response = HtmlResponse(URL, body=text.encode(encoding), headers=headers)
        result = middleware.process_response(Request(URL), response)
        return result.url if isinstance(result, Request) else "kept"

    assert outcome(ours) == outcome(scrapys)
    assert outcome(ours) == (TARGET if "refresh" in name and "past" not in name else "kept")


def test_charsets_that_shift_or_do_not_write_ascii_are_left_to_scrapy():
    assert [scannable(e) for e in ("utf-8", "cp1251", "shift_jis", "gb18030", "latin-1")] == [True] * 5
    refused = ("utf-16", "utf-32", "cp037", "iso-2022-jp", "hz", "utf-7", "nonsense")
    assert [scannable(e) for e in refused] == [False] * len(refused)
