"""The page's one parse (``parsed``) and one walk (``Marks``): the same tree and the same elements as
Scrapy's selector and the XPath scans they replace, on bodies where a shortcut could differ."""

from __future__ import annotations

import pytest
from lxml import etree
from parsel.selector import create_root_node
from scrapy.http import HtmlResponse

from broadsheet.extract.page import Marks, Page, marked, parsed

URL = "https://news.example.org/a"
PAGE = ('<html lang="en"><head><meta property="og:type" content="article"><meta name="author" value="V">'
        '<link rel="canonical" href="/a"><meta property="article:published_time" content="2024-01-02">'
        '</head><body class="b"><div id="top" itemscope itemtype="https://schema.org/NewsArticle">'
        '<a rel="author" href="/ann">Ann</a><span itemprop="headline">Élan, 株価</span>'
        '<meta itemprop="datePublished" content="2024-01-02"></div><p class="x">text</p></body></html>')


@pytest.mark.parametrize("body", [
    PAGE.encode(),
    b"\xef\xbb\xbf" + PAGE.encode(),  # a byte-order mark
    "\u00a0\u3000".encode() + PAGE.encode() + "\u2028".encode(),  # non-ASCII white space around the page
    " \n\u00a0".encode() + PAGE.encode(),  # ASCII, then non-ASCII white space
    PAGE.encode().replace(b"text", b"te\x00xt"),  # a NUL
    PAGE.encode().replace(b"text", b"te\xff\xfext"),  # bytes that are not UTF-8
    b"",
    b"   ",
], ids=["plain", "bom", "unicode-space", "mixed-space", "nul", "invalid-utf8", "empty", "blank"])
def test_the_pages_tree_is_the_one_scrapys_selector_builds_from_its_text(body):
    response = HtmlResponse(URL, body=body, encoding="utf-8")
    expected = create_root_node(response.text, etree.HTMLParser, base_url=URL)
    assert etree.tostring(parsed(response)) == etree.tostring(expected)
    assert response.selector.root is parsed(response)  # css/xpath share the one tree


def test_a_page_in_another_charset_is_parsed_from_its_decoded_text():
    body = PAGE.replace("Élan, 株価", "Ёлка").encode("cp1251")
    response = HtmlResponse(URL, body=body, encoding="cp1251")
    assert parsed(response).xpath("string(//span)") == "Ёлка"


def test_one_walk_finds_what_the_xpath_scans_found():
    root = parsed(HtmlResponse(URL, body=PAGE.encode(), encoding="utf-8"))
    marks = Marks(root)
    assert [e.text for e in marks.author_links] == ["Ann"]
    assert marks.canonical_hrefs == ["/a"]
    assert marks.og_types == ["article"]
    assert marks.article_marked
    assert marks.meta_like == root.xpath("/descendant::*[self::meta[@content or @value] or @itemprop]")
    classed = [element for element, _ in marks.classed]
    assert classed == root.xpath("//body/descendant::*[@class or @id]")
    assert root.find("body") not in classed  # inside <body>, not <body> itself


def test_a_page_not_walked_reads_the_walks_lists_by_xpath():
    walked = Marks(parsed(HtmlResponse(URL, body=PAGE.encode(), encoding="utf-8")))
    fresh = HtmlResponse(URL, body=PAGE.encode(), encoding="utf-8")
    for name in ("meta_like", "canonical_hrefs", "author_links"):
        found, expected = marked(fresh, name), getattr(walked, name)
        def shape(items):
            return [item if isinstance(item, str) else (item.tag, dict(item.attrib)) for item in items]
        assert found and shape(found) == shape(expected), name


def test_the_walk_feeds_the_metas_and_the_class_heuristics():
    page = Page(HtmlResponse(URL, body=PAGE.encode(), encoding="utf-8"))
    assert page.metas["author"] == ["V"]
    assert page.metas["datepublished"] == ["2024-01-02"]
    assert [names for _, names in page.classed] == [" #top", "x #"]
