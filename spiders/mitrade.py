"""Mitrade "Insights / Live News": market news republished from providers, in many locales.

Pages are server-rendered Next.js: the article's id, title, provider, publish time (epoch ms,
UTC), tags and cover image are in ``__NEXT_DATA__`` (the ``State`` sources, ahead of the base's);
CSS-module class names carry a build hash, so selectors match the stable prefix
(``NewsCard_headline__``) only.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from scrapy.http import Response

from broadsheet import FIXTURES
from broadsheet.extract.body import Container
from broadsheet.extract.page import parsed
from broadsheet.extract.sources import LD, Meta, State, XPath, dig
from broadsheet.extract.xpath import nodes
from broadsheet.news import CardLayout, NewsSpider
from broadsheet.news.structured import next_data
from broadsheet.normalize.dates import from_epoch_millis

CASSETTE = FIXTURES / "mitrade" / "cassette.yaml"


def _cls(tag: str, prefix: str) -> str:
    """XPath step for a tag whose CSS-module class starts with ``prefix`` (hash ignored)."""
    return f'{tag}[contains(@class, "{prefix}__")]'


BODY = f'//article//{_cls("div", "NewsDetail_content")}'


class MitradeSpider(NewsSpider):
    """Mitrade live news: its feed, news sitemap, sitemaps (from robots.txt) and listing, or
    ``-a urls=`` article pages."""

    name = "mitrade"
    site = "mitrade"
    allowed_domains = ["www.mitrade.com"]
    listing_urls = ["https://www.mitrade.com/insights/news/live-news"]
    feeds = ["https://www.mitrade.com/au/insights/news/live-news/rss.xml"]
    news_sitemaps = ["https://www.mitrade.com/sitemap-news.xml"]  # the index comes from robots.txt
    article_url = re.compile(  # any locale tag (zh-Hant, pt_BR) and section word (insights, articulo, ...)
        r"^https://www\.mitrade\.com/(?P<locale>[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?)/[\w-]+/news/"
        r"[\w-]+/article-(?P<type>\d+)-(?P<id>\d+)-(?P<yyyymmdd>\d{8})(?:[?#].*)?$"
    )
    next_page_xpath = f'//a[@rel="next"]/@href | //{_cls("a", "Pager_next")}/@href'
    site_tz = dt.timezone(dt.timedelta(hours=8))
    sources = {
        "article_id": [State("id"), ...],
        "headline": [State("title"), ...],
        "authors": [State("source"), ..., XPath(f'//article//{_cls("span", "NewsDetail_sourceName")}', each=False)],
        "author_organisations": [LD("author")],  # the provider, typed Organization: the pages print no byline
        "date_published": [State("publishTime", then=from_epoch_millis), ...],
        "date_modified": [State("updateTime", then=from_epoch_millis), ...],
        "description": [State("summary"), ...],
        "image": [State("coverImg"), ...],
        "language": [XPath("/html/@lang", name="html:lang"), Meta("og:locale")],
        "body": [Container(BODY, exclude=f'.//{_cls("div", "SymbolList_list")}')],
        "tickers": [XPath(f"{BODY}//div[@data-symbol]/@data-symbol", each=False, name="body:data-symbol"),
                    State("tags", then=lambda tags: [t.get("code") for t in tags if isinstance(t, dict)])],
    }
    related_cards = CardLayout(
        cards=f'//{_cls("section", "RelatedNews_wrap")}//{_cls("div", "NewsCard_card")}',
        link="./a/@href",
        headline=f'.//{_cls("span", "NewsCard_headline")}',
        summary=f'./{_cls("div", "NewsCard_summary")}',
        author=f'.//{_cls("span", "NewsCard_author")}',
        date=f'.//{_cls("span", "NewsCard_time")}',
    )
    custom_settings = {
        "VCR_CASSETTE": str(CASSETTE),
        "FIELD_COVERAGE_MIN": {
            "headline": 1.0, "body": 1.0, "authors": 0.95, "date_published": 0.95, "tickers": 0.5,
            "related": 0.8, "related.url": 1.0, "related.headline": 1.0, "related.date_published": 0.95,
        },
    }

    def not_article_reason(self, response: Response) -> str | None:
        """A removal notice ("does not exist or has been removed") has no ``newsDetail``."""
        reason = super().not_article_reason(response)
        if reason:
            return reason
        if nodes(parsed(response), f'//{_cls("div", "NewsDetail_empty")}'):
            return "removed"
        return None

    def page_state(self, response: Response) -> dict[str, Any]:
        """``props.pageProps.newsDetail`` of ``__NEXT_DATA__``: what the ``State`` sources read."""
        detail = dig(next_data(parsed(response), response.url), "props.pageProps.newsDetail")
        return detail if isinstance(detail, dict) else {}
