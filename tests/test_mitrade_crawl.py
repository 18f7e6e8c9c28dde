"""The mitrade spider crawled for real over the committed cassette, offline."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CrawlResult, crawl_ahead, mitrade_crawl, mutated_cassette, run_crawl

from spiders.mitrade import MitradeSpider

LISTING_ARTICLES = {
    "https://www.mitrade.com/au/insights/news/live-news/article-1-1572010-20260206",
    "https://www.mitrade.com/au/insights/news/live-news/article-8-1571455-20260205",
    "https://www.mitrade.com/au/insights/news/live-news/article-3-1571402-20260205",
    "https://www.mitrade.com/au/insights/news/analysis/article-2-1342207-20251225",
    "https://www.mitrade.com/au/insights/news/live-news/article-8-1129088-20250917",
    "https://www.mitrade.com/au/insights/news/live-news/article-3-560218-20241217",
}
REMOVED = "https://www.mitrade.com/au/insights/news/live-news/article-8-1570001-20260204"
GONE = "https://www.mitrade.com/au/insights/news/live-news/article-3-1569950-20260204"
ALIBABA_AU = "https://www.mitrade.com/au/insights/news/live-news/article-8-1129088-20250917"
ALIBABA_EN = "https://www.mitrade.com/en/articulo/news/live-news/article-8-1129088-20250917"
MISSING = "https://www.mitrade.com/au/insights/news/live-news/article-1-9999999-20260206"
ES = "https://www.mitrade.com/es/insights/news/live-news/article-1-1572010-20260206"
AU = "https://www.mitrade.com/au/insights/news/live-news/article-1-1572010-20260206"
ETH = "https://www.mitrade.com/au/insights/news/live-news/article-3-560218-20241217"

# Each test's crawl runs ahead (``crawl_ahead``), in the background from the session's start.
LISTING = mitrade_crawl()  # the whole listing: one crawl for the tests of it


@crawl_ahead(LISTING)
def test_listing_crawl_yields_each_live_article_once(crawled):
    result = crawled
    assert result.returncode == 0, result.log[-2000:]
    urls = [item["url"] for item in result.items]
    assert sorted(urls) == sorted(LISTING_ARTICLES)
    assert len(urls) == len(set(urls))
    assert result.stats["broadsheet/pages/skipped/removed"] == 1
    assert result.stats["broadsheet/pages/skipped/http_404"] == 1
    assert f"Skipped {REMOVED}: removed" in result.log
    assert f"Skipped {GONE}: http_404" in result.log
    assert result.finish_reason == "finished"
    pages = {k: v for k, v in result.stats.items() if k.startswith("broadsheet/pages/")}
    # + 2 listing pages + 3 discovery documents the capture does not hold (feed, two sitemaps)
    assert sum(pages.values()) == result.stats["broadsheet/requested"] == 13
    assert result.stats["broadsheet/pages/skipped/discovery_missing"] == 3
    assert "mitrade finished (finished): 13 URLs requested = 6 exported + 0 quarantined + 2 listing + " in result.log


@crawl_ahead(LISTING)
def test_listing_follows_redirect_and_next_page(crawled):
    result = crawled
    assert result.stats["broadsheet/pages/listing"] == 2  # /au/ listing after the 301, then page 2
    assert result.stats["downloader/response_status_count/301"] == 1


@crawl_ahead(mitrade_crawl("-a", "max_pages=1"))
def test_max_pages_bounds_the_listing(crawled):
    result = crawled
    assert result.stats["broadsheet/pages/listing"] == 1
    assert len(result.items) == 3  # page 1 links 5 articles: 3 live, 1 removed, 1 gone (404)
    assert "-a max_pages=1 reached" in result.log


@crawl_ahead(mitrade_crawl("-s", "FAILURE_MAX_SHARE=0.5", urls=[MISSING, ALIBABA_AU]))
def test_request_missing_from_cassette_fails_alone(crawled):
    result = crawled
    assert result.returncode == 0
    assert [item["url"] for item in result.items] == [ALIBABA_AU]
    assert result.stats["broadsheet/pages/failed/not_in_cassette"] == 1
    assert result.stats["vcr/missing"] == 1
    failure = next(line for line in result.log.splitlines() if line.startswith("20") and "Failed " + MISSING in line)
    assert "cassette.yaml" in failure or "cassette.yaml" in result.log
    assert result.finish_reason == "finished"


@crawl_ahead(lambda folder, order: run_crawl(folder, "mitrade", urls=list(order)))
@pytest.mark.parametrize("order", [(ALIBABA_AU, ALIBABA_EN), (ALIBABA_EN, ALIBABA_AU)])
def test_two_english_locales_are_one_record(crawled, order):
    result = crawled
    assert [item["url"] for item in result.items] == [ALIBABA_AU]
    assert result.stats["broadsheet/pages/skipped/duplicate_locale"] == 1


@crawl_ahead(mitrade_crawl(urls=[AU, ES]))
def test_translation_is_its_own_record(crawled):
    result = crawled
    assert sorted(item["language"] for item in result.items) == ["en-AU", "es"]


@crawl_ahead(lambda folder: run_crawl(folder, "mitrade", cassette=folder / "nope.yaml", urls=[ALIBABA_AU]))
def test_missing_cassette_is_a_clear_error(crawled):
    result = crawled
    assert "nope.yaml" in result.log and "no such cassette" in result.log
    assert result.items == []


def test_every_shared_truth_page_is_a_fixture_case():
    from broadsheet.testing.cases import discover

    names = {case.name for case in discover(spider="mitrade")}
    assert names >= {"alibaba", "alibaba_en", "btc65k", "btc65k_es", "btc70k", "eth3900", "ethforecast",
                     "markets2026", "removed"}


def card_variants_crawl(folder: Path) -> CrawlResult:
    cassette = mutated_cassette(folder, ALIBABA_AU, {
        "Author&nbsp;&nbsp;Beincrypto": "Author&nbsp;&nbsp;",
        '>Dec 25, 2025</span>': '>5 hours ago</span>',
        '>Feb 05, Thu</span>': '>20 hours ago</span>',
    })
    cassette = mutated_cassette(folder, ES, {">feb 05, jue<": ">hace 20 horas<"}, source=cassette)
    return run_crawl(folder, "mitrade", urls=[ALIBABA_AU, ES], cassette=cassette)


@pytest.mark.parametrize(("url", "expected"), [
    ("https://www.mitrade.com/au/insights/news/live-news/article-3-1571402-20260205", ("au", "1571402", "20260205")),
    ("https://www.mitrade.com/en/articulo/news/live-news/article-8-1129088-20250917", ("en", "1129088", "20250917")),
    ("https://www.mitrade.com/zh-Hant/insights/news/analysis/article-2-1342207-20251225?utm=x",
     ("zh-Hant", "1342207", "20251225")),
    ("https://www.mitrade.com/pt_BR/artigo/news/live-news/article-1-1572010-20260206",
     ("pt_BR", "1572010", "20260206")),
    ("https://www.mitrade.com/au/insights/news/live-news", None),
    ("https://www.mitrade.com/au/insights/news/live-news/rss.xml", None),
    ("https://www.mitrade.com/au/insights/news/live-news/article-3-1571402", None),
    ("https://www.mitrade.com.evil.example/au/insights/news/live-news/article-3-1571402-20260205", None),
])
def test_article_urls_of_any_locale_and_section_word(url, expected):
    """The live site has more locales (tags in any case, ``_`` or ``-``) and section words than the capture:
    an article URL is the ``article-{type}-{id}-{yyyymmdd}`` page under ``/{locale}/{section}/news/{kind}/``."""
    match = MitradeSpider.article_url.search(url)
    assert (match and (match["locale"], match["id"], match["yyyymmdd"])) == expected


@crawl_ahead(card_variants_crawl)
def test_card_variants_the_live_site_shows(crawled):
    """An empty author and relative dates, resolved against the recording's Date header
    (Fri, 06 Feb 2026 09:12:59 GMT = 17:12 in the site's UTC+8), not the machine's clock."""
    result = crawled
    assert result.returncode == 0
    au, es = (result.by_url()[url]["related"] for url in (ALIBABA_AU, ES))
    assert au[0]["author"] is None and au[0]["url"].endswith("article-3-560218-20241217")
    assert (au[1]["date_text"], au[1]["date_published"]) == ("5 hours ago", "2026-02-06")
    assert (au[2]["date_text"], au[2]["date_published"]) == ("20 hours ago", "2026-02-05")
    assert (es[0]["date_text"], es[0]["date_published"]) == ("hace 20 horas", "2026-02-05")


def extraction_error_crawl(folder: Path) -> CrawlResult:
    # An epoch the datetime module cannot represent makes the page state's date raise.
    cassette = mutated_cassette(folder, ALIBABA_AU, {'"publishTime":1758091272000': '"publishTime":1e30'})
    return run_crawl(folder, "mitrade", "-s", "FAILURE_MAX_SHARE=0.5", urls=[ALIBABA_AU, ETH], cassette=cassette)


@crawl_ahead(extraction_error_crawl)
def test_an_extraction_error_is_a_counted_failure(crawled):
    """A page that breaks the extraction code fails alone, counted and logged with its URL."""
    result = crawled
    assert result.returncode == 0
    assert [item["article_id"] for item in result.items] == ["560218"]
    [failed] = [k for k in result.stats if k.startswith("broadsheet/pages/failed/extraction_")]
    assert result.stats[failed] == 1
    assert f"Failed {ALIBABA_AU}: extraction_" in result.log
