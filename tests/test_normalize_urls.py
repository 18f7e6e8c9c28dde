"""URLs written as URIs: what a page's IRI becomes in every URL field."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest

from broadsheet.normalize.urls import as_uri, joined_uri


@pytest.mark.parametrize(("url", "encoding", "expected"), [
    # junge Welt's canonical link: an IRI, written with its umlaut
    ("https://www.jungewelt.de/artikel/474126.nationaler-veteranentag-orden-fürs-morden.html", "utf-8",
     "https://www.jungewelt.de/artikel/474126.nationaler-veteranentag-orden-f%C3%BCrs-morden.html"),
    ("https://www.jungewelt.de/artikel/474126.nationaler-veteranentag-orden-f%C3%BCrs-morden.html", "utf-8",
     "https://www.jungewelt.de/artikel/474126.nationaler-veteranentag-orden-f%C3%BCrs-morden.html"),
    ("https://bücher.example/a b?q=ü#teil ü", "utf-8", "https://xn--bcher-kva.example/a%20b?q=%C3%BC#teil%20%C3%BC"),
    ("https://news.example.cn/a?q=中", "gbk", "https://news.example.cn/a?q=%D6%D0"),  # the query in the page's charset
    ("https://news.example.org/a?q=€", "latin-1", "https://news.example.org/a?q=%E2%82%AC"),  # else UTF-8
    ("https://news.example.org/100%?x=%2", "utf-8", "https://news.example.org/100%25?x=%252"),
    ("https://o.example.com/dims?a=1%2C2&b=c", "utf-8", "https://o.example.com/dims?a=1%2C2&b=c"),
])
def test_an_iri_is_written_as_the_uri_a_browser_requests(url, encoding, expected):
    assert as_uri(url, encoding) == expected
    assert as_uri(expected, encoding) == expected  # a URI stays as it is


@pytest.mark.parametrize("href", [
    "../b/c?x=ü", "/a b", "?page=2", "#top", "https://other.example/x/../y", "//cdn.example/i.png",
    "HTTPS://Up.example/", "https://", "https:///rooted", "//", "https://?q", "https://#f", "https://\nhost/x",
    "https://ho\tst/x", "mailto:x@example.org",
])
@pytest.mark.parametrize("base", ["https://news.example.com/a/b.html", "http://news.example.com/",
                                  "https://news.example.com/?q#f"])
def test_a_joined_href_is_what_urljoin_then_as_uri_give(base, href):
    """The cache shares a href with a host among every page of the base's scheme: a href without one (``https://``
    then a path, a newline urlsplit drops) still resolves against the page."""
    assert joined_uri(base, href, "gbk") == as_uri(urljoin(base, href), "gbk")
    assert joined_uri(base, href, "gbk") == as_uri(urljoin(base, href), "gbk")  # from the cache
