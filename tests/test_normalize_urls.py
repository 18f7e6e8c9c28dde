"""URLs written as URIs: what a page's IRI becomes in every URL field."""

from __future__ import annotations

import pytest

from broadsheet.normalize.urls import as_uri


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
