"""What the base gets right for every site (the frictions met writing real publishers): ``-a urls=``
with commas inside URLs, URL days with month names, instants stated only as text, cards
without summary, author or date."""

from __future__ import annotations

import datetime as dt

import pytest
from scrapy.http import HtmlResponse

from broadsheet.errors import BadInput
from broadsheet.extract.instants import instant_in_text
from broadsheet.news import NewsSpider
from broadsheet.news.spider import CardLayout, article_urls
from broadsheet.normalize.dates import day_in_url

NDR = "https://www.ndr.de/nachrichten/hamburg/Hamburger-Hafen,hafen1234.html"
NDR2 = "https://www.ndr.de/nachrichten/niedersachsen/Wahl,wahl5678.html"


@pytest.mark.parametrize("given", [
    f"{NDR},{NDR2}",  # the contract: -a urls=U1,U2
    f"{NDR}, {NDR2}",
    f"{NDR} {NDR2}",
    f"{NDR}\n{NDR2}\n",
    f"{NDR},http://www.ndr.de/x,{NDR2}",
])
def test_urls_split_between_urls_never_inside_one(given):
    found = article_urls(given)
    assert found[0] == NDR and found[-1] == NDR2 and all(url.startswith("http") for url in found)


def test_urls_that_are_not_urls_are_refused():
    with pytest.raises(BadInput, match="not an absolute URL"):
        article_urls("www.ndr.de/nachrichten/x,y.html")


@pytest.mark.parametrize(("url", "day"), [
    ("https://www.theguardian.com/world/2019/nov/18/story", dt.date(2019, 11, 18)),
    ("https://example.org/news/2019/November/8/story", dt.date(2019, 11, 8)),
    ("https://example.org/2016/12/20/story", dt.date(2016, 12, 20)),
    ("https://example.org/2016-12-06-story", dt.date(2016, 12, 6)),
    ("https://example.org/2019/novel/18/story", None),
])
def test_url_days_in_digits_or_month_names(url, day):
    assert day_in_url(url) == day


@pytest.mark.parametrize(("text", "instant"), [
    ("Tue Dec 30, 2014 11:44pm GMT", "2014-12-30T23:44:00Z"),
    ("30 December 2014 23:44 BST", "2014-12-30T23:44:00+01:00"),
    ("Updated Jan. 5, 2020 at 9:05 a.m. EST", "2020-01-05T09:05:00-05:00"),
    ("Nov 18, 2019 12:30 +05:30", "2019-11-18T12:30:00+05:30"),
    ("March 3, 2021 10:00", None),  # no zone: not an instant
    ("Feb 30, 2021 10:00 GMT", None),
])
def test_instants_stated_only_in_visible_text(text, instant):
    found = instant_in_text(text)
    assert (found.instant if found else None) == instant


class Cards(NewsSpider):
    name = "cards"
    related_cards = CardLayout(cards='//li[@class="card"]', link=".//a/@href", headline=".//a")


def test_card_parts_beyond_link_and_headline_are_optional():
    page = HtmlResponse("https://example.org/a", body=b'<ul><li class="card"><a href="/b">Other story</a></li></ul>',
                        encoding="utf-8")
    [card] = Cards().extract_related(page, dt.datetime(2024, 1, 1, tzinfo=dt.UTC), "en")
    assert (card.url, card.headline, card.summary, card.author, card.date_published) == (
        "https://example.org/b", "Other story", None, None, None)


def test_a_cards_link_written_as_an_iri_is_a_uri():
    page = HtmlResponse("https://example.org/a", encoding="utf-8",
                        body='<ul><li class="card"><a href="/artikel/orden-fürs-morden">Other</a></li></ul>'.encode())
    [card] = Cards().extract_related(page, dt.datetime(2024, 1, 1, tzinfo=dt.UTC), "en")
    assert card.url == "https://example.org/artikel/orden-f%C3%BCrs-morden"


def test_a_page_with_only_a_visible_date_line_gets_its_instant():
    from broadsheet.extract.fields import extract_fields
    from broadsheet.extract.page import Page

    page = HtmlResponse("https://example.org/2014/12/30/story", encoding="utf-8", body=(
        b'<html><body><h1>Plane lost</h1><p><span class="timestamp">Tue Dec 30, 2014 11:44pm GMT</span></p>'
        b"<p>Text.</p></body></html>"))
    found = extract_fields(Page(page, None), Cards().field_sources())
    assert found.values["date_published"].instant == "2014-12-30T23:44:00Z"
    assert found.winners["date_published"] == "text:instant"
