"""Field sources, normalisers and their resolution, on small pages written for each rule."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from scrapy.http import HtmlResponse, Request

from broadsheet.extract.body import Body, Container
from broadsheet.extract.fields import authors, extract_fields, language, sources_for
from broadsheet.extract.page import HINTS_META_KEY, Page
from broadsheet.extract.sources import CSS, LD, URL, Func, Hint, Meta, State, XPath
from broadsheet.normalize.dates import Moment, day_in_text, parse_moment

URL_ = "https://news.example.org/world/2024/11/22/story-123456"


def page(html: str, url: str = URL_, hints: dict | None = None, state=None) -> Page:
    request = Request(url, meta={HINTS_META_KEY: hints} if hints else {})
    return Page(HtmlResponse(url, body=html.encode(), request=request, encoding="utf-8"), state)


def ld(*objects: dict) -> str:
    return "".join(f'<script type="application/ld+json">{json.dumps(o)}</script>' for o in objects)


@pytest.mark.parametrize(("source", "html", "expected"), [
    (Meta("og:title"), '<head><meta property="og:title" content=" T "></head>', ["T"]),
    (Meta("parsely-title"), '<body><meta name="parsely-title" value="in body"></body>', ["in body"]),
    (Meta("datePublished"), '<span itemprop="datePublished" content="2024-01-02"></span>', ["2024-01-02"]),
    (XPath("//h2"), "<h2>a</h2><h2>b</h2>", ["a", "b"]),
    (XPath("//li", each=False), "<li>a</li><li>b</li>", [["a", "b"]]),
    (CSS("p.lede"), '<p class="lede x">L</p><p>o</p>', ["L"]),
    (URL(re.compile(r"story-(?P<id>\d+)"), "id"), "", ["123456"]),
    (URL(re.compile(r"story-(?P<id>\d+)"), "missing"), "", []),
    (LD("author.name"), ld({"@type": "NewsArticle", "author": {"@type": "Person", "name": "Ann"}}), ["Ann"]),
    (LD("headline"), ld({"@graph": [{"@type": "WebSite", "name": "S"}, {"@type": "NewsArticle", "headline": "G"}]}),
     ["G"]),
    (LD("headline"), ld({"@type": "WebPage", "mainEntity": {"@type": "Article", "headline": "Nested"}}), ["Nested"]),
    (LD("headline"), ld([{"@type": "NewsArticle", "headline": "Other", "url": "https://news.example.org/other"},
                         {"@type": "NewsArticle", "headline": "This", "url": URL_}]), ["This"]),
    (Func(lambda p: p.url.rsplit("-", 1)[1], name="tail"), "", ["123456"]),
    (LD("headline", then=str.upper), ld({"@type": "Article", "headline": "x"}), ["X"]),
])
def test_each_source_reads_its_candidates(source, html, expected):
    assert list(source.candidates(page(f"<html>{html}</html>"))) == expected


def test_hints_from_the_request_and_page_state_are_sources_like_the_others():
    p = page("<html><h1>H</h1></html>", hints={"headline": "From the feed"}, state=lambda r: {"a": [{"b": 1}]})
    assert list(Hint("headline").candidates(p)) == ["From the feed"]
    assert list(State("a.b").candidates(p)) == [1] and list(State("a.0.b").candidates(p)) == [1]
    assert extract_fields(p).winners["headline"] == "h1"  # what the page says comes first
    bare = page("<html><p>no headline</p></html>", hints={"headline": "From the feed"})
    assert extract_fields(bare).winners["headline"] == "hint:headline"  # the feed fills what the page lacks


def test_the_first_candidate_the_normaliser_accepts_wins_and_is_named():
    html = ("<html lang='en-gb'><head><meta name='author' content='https://x.org/ann'><meta name='author' "
            "content='BY JANE DOE and John Roe'></head><h1>Only</h1></html>")
    found = extract_fields(page(html))
    assert found.values["authors"] == ["Jane Doe", "John Roe"] and found.winners["authors"] == "meta:author+"
    assert found.values["headline"] == "Only" and found.winners["headline"] == "h1"
    assert found.values["language"] == "en-GB"


def test_a_site_overrides_one_field_and_extends_another_with_the_base():
    overrides = {"headline": [XPath("//h2", name="site:h2")], "body": [Container("//div[@class='story']"), ...]}
    assert sources_for("body", overrides)[1:] == sources_for("body", {})
    html = ("<html><h1>Base</h1><h2>Site</h2><div class='story'><h3>Sub</h3><p>One.</p><ul><li>Item</li></ul></div>"
            "</html>")
    found = extract_fields(page(html), overrides)
    assert found.values["headline"] == "Site" and found.winners["body"] == "container"
    assert found.values["body"] == Body("Sub\n\nOne.\n\nItem", "### Sub\n\nOne.\n\n- Item")
    assert found.winners["date_published"] == "url"
    assert found.values["date_published"] == Moment(None, dt.date(2024, 11, 22))


def test_trace_keeps_every_candidate_with_its_verdict():
    html = ld({"@type": "NewsArticle", "author": {"@type": "Organization", "name": "Org"}}) + \
        "<meta name='author' content='Ann Lee'>"
    found = extract_fields(page(f"<html>{html}</html>"), trace=True)
    verdicts = [(c.source, c.accepted) for c in found.candidates["authors"]]
    assert verdicts[:2] == [("jsonld:author", False), ("meta:author+", True)]


def test_whole_json_ld_body_wins_over_the_extractor_and_a_teaser_does_not():
    whole = "First paragraph of the story.\n" + "More text. " * 60
    assert extract_fields(page("<html>" + ld({"@type": "NewsArticle", "articleBody": whole}) + "<p>x</p></html>")
                          ).winners["body"] == "jsonld:articleBody"
    teaser = ld({"@type": "NewsArticle", "articleBody": "Short teaser…"})
    assert extract_fields(page(f"<html><body>{teaser}<article><p>{'Real body. ' * 40}</p></article></body></html>")
                          ).winners["body"] == "main_content"


def test_a_json_ld_body_printed_twice_is_kept_once_and_escaped_markup_is_read_as_markup():
    story = "First paragraph of the story, long enough. " * 12
    twice = extract_fields(page("<html>" + ld({"@type": "NewsArticle", "articleBody": f"{story} {story}"})
                                + "<p>x</p></html>")).values["body"]
    assert twice.text == story.strip()
    escaped = ("&lt;p&gt;" + story + "&lt;/p&gt;&lt;div class=&quot;caption&quot;&gt;Photo&lt;/div&gt; "
               "Tom &amp;amp; Jerry.")
    body = extract_fields(page("<html>" + ld({"@type": "NewsArticle", "articleBody": escaped}) + "<p>x</p></html>")
                          ).values["body"]
    assert "<" not in body.text and "amp;" not in body.text and body.text.startswith("First")
    assert "Tom & Jerry" in body.text


@pytest.mark.parametrize(("raw", "expected"), [
    ("2024-11-22T10:00:00+01:00", Moment("2024-11-22T10:00:00+01:00", dt.date(2024, 11, 22))),
    ("2024-11-22T00:30:00+0900", Moment("2024-11-22T00:30:00+09:00", dt.date(2024, 11, 22))),  # the page's day
    ("2024-11-22 10:00", Moment(None, dt.date(2024, 11, 22))),  # no offset: only the day is known
    ("2024-11-22", Moment(None, dt.date(2024, 11, 22))),  # a calendar date stays a date
    ("Fri, 22 Nov 2024 10:00:00 GMT", Moment("2024-11-22T10:00:00Z", dt.date(2024, 11, 22))),
    ("Fri Apr 28 19:20:36 CEST 2023", Moment("2023-04-28T19:20:36+02:00", dt.date(2023, 4, 28))),  # Java's toString
    ("Fri Apr 28 19:20:36 IST 2023", Moment(None, dt.date(2023, 4, 28))),  # which IST: only the day is known
    ("22.11.2024", Moment(None, dt.date(2024, 11, 22))),
    ("12-15-2016", Moment(None, dt.date(2016, 12, 15))),  # month first only when the day cannot be a month
    ("05/04/2019", Moment(None, dt.date(2019, 4, 5))),
    (1732269600000, Moment("2024-11-22T10:00:00Z", dt.date(2024, 11, 22))),
    ("yesterday", None), ("1970-01-01", None),
])
def test_dates_keep_the_precision_and_offset_the_page_gives(raw, expected):
    assert parse_moment(raw) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Updated on December 12, 2016 09:22 AM", dt.date(2016, 12, 12)),
    ("on 1 June 2019 at 08:34 PM EDT", dt.date(2019, 6, 1)),
    ("发表于:2005年07月31日 12:30", dt.date(2005, 7, 31)),
    ("Sept. 5, 2019", dt.date(2019, 9, 5)),
    ("2005\ufffd\ufffd05\ufffd\ufffd13\ufffd\ufffd14:15", dt.date(2005, 5, 13)),  # 年月日 lost to a wrong charset
    ("posted 9/17/2004 5:54:13 AM", dt.date(2004, 9, 17)), ("17/9/2004", dt.date(2004, 9, 17)),
    ("5/4/2019", None),  # day or month first: nobody can tell
    ("no date here", None), ("Mayor 12, 2019", None),
])
def test_visible_text_dates(text, expected):
    assert day_in_text(text) == expected


@pytest.mark.parametrize(("text", "language", "expected"), [
    ("Veröffentlicht am 16. März 2019, 10:00 Uhr", "de", dt.date(2019, 3, 16)),
    ("Publié le 1er février 2020", "fr", dt.date(2020, 2, 1)),
    ("5 de marzo de 2021", "es", dt.date(2021, 3, 5)),
    ("3 марта 2021", "ru", dt.date(2021, 3, 3)),
    ("16 marzo 2019", "en", None),  # Italian names only on a page that says it is Italian
    ("16 marzo 2019", "it", dt.date(2019, 3, 16)),
])
def test_visible_text_dates_in_the_pages_language(text, language, expected):
    assert day_in_text(text, language) == expected


def published(html: str, url: str = "https://news.example.org/story") -> tuple[str | None, str | None]:
    found = extract_fields(page(html, url))
    moment = found.values.get("date_published")
    return (moment.instant or moment.day.isoformat()) if moment else None, found.winners.get("date_published")


def test_json_ld_wrapped_in_cdata_is_read():
    html = ('<script type="application/ld+json">//<![CDATA[\n' + json.dumps(
        {"@type": "NewsArticle", "headline": "H", "datePublished": "2024-12-06T22:00:40Z"}) + '\n//]]></script>')
    assert published(html) == ("2024-12-06T22:00:40Z", "jsonld:datePublished")


def test_when_the_item_was_created_comes_after_what_the_page_says_of_its_publication():
    html = ld({"@type": "Article", "dateCreated": "2017-02-24T01:18:13Z"}) + \
        '<meta property="article:published_time" content="2017-02-23T17:18:13-08:00">'
    assert published(html) == ("2017-02-23T17:18:13-08:00", "meta:article:published_time+")


@pytest.mark.parametrize(("local", "expected"), [
    ("Thursday, December 22, 2016, 06:47 PM", "2016-12-22T18:47:31-06:00"),  # the same minute, six hours before
    ("2016-12-23 06:17:31", "2016-12-23T06:17:31+05:30"),  # India: half hours count
    ("Thursday, December 22, 2016, 06:40 PM", "2016-12-23T00:47:31Z"),  # another minute: another moment
    ("2016-12-23 00:47:31", "2016-12-23T00:47:31Z"),  # the page's local time is UTC
    ("2016-12-20 18:47:31", "2016-12-23T00:47:31Z"),  # 54 hours apart: no zone is that far
    ("2016-12-22T18:47:31-06:00", "2016-12-23T00:47:31Z"),  # an instant of its own, not a local time
    ("December 22, 2016", "2016-12-23T00:47:31Z"),  # a day without a time
])
def test_a_utc_instant_takes_the_offset_a_date_meta_writes_the_same_moment_in(local, expected):
    html = (ld({"@type": "NewsArticle", "datePublished": "2016-12-23T00:47:31Z"})
            + f'<meta name="article_date_original" value="{local}">')
    assert published(html) == (expected, "jsonld:datePublished")
    found = extract_fields(page(html)).values["date_published"]
    assert found.day == dt.date.fromisoformat(expected[:10])  # the publisher's day


def test_a_visible_date_in_the_pages_language_follows_the_headline():
    html = '<html lang="de"><body><h1>Titel</h1><p>Von A. Autor, 16. März 2019</p></body></html>'
    assert published(html) == ("2019-03-16", "text")


def test_htmldate_reads_what_the_base_does_not_and_only_then():
    html = '<html><body><div class="x"><p>Text</p></div><script>var d = {"datePublished": "2021-03-04"};</script>'
    assert published(html) == ("2021-03-04", "htmldate")
    assert published(html, "https://news.example.org/2020/01/02/story") == ("2020-01-02", "url")


def test_without_an_h1_the_date_after_the_element_repeating_the_title_is_read():
    html = ("<html><head><title>Der grosse Titel - Site</title></head><body><p>Menu 2004\ufffd01\ufffd01</p>"
            "<b>Der grosse Titel</b><span>2005\ufffd05\ufffd13\ufffd</span></body></html>")
    assert published(html) == ("2005-05-13", "text:title")


@pytest.mark.parametrize(("title", "expected"), [
    # La Nación (2017): the date stamp is a part of the title; the page shows it nowhere else
    ("Una solución no violenta para la cuestión mapuche - 07.12.2017 - LA NACION", ("2017-12-07", "title:day")),
    ("Cumbre del 7 de diciembre de 2017 en Buenos Aires - LA NACION", (None, None)),  # a day the headline names
])
def test_a_title_part_that_is_a_day_alone_is_the_pages_date_stamp(title, expected):
    html = (f'<html lang="es-ar"><head><title>{title}</title></head><body><h1>Una solución no violenta</h1>'
            '<p>Los pueblos indígenas reclaman por derechos que permanecen incumplidos.</p></body></html>')
    assert published(html) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("By Jane Doe and John Roe", ["Jane Doe", "John Roe"]),
    ([{"@type": "Person", "name": "Ann"}, {"@type": "Organization", "name": "Wire"}], ["Ann"]),
    ({"@type": "Organization", "name": "Wire"}, None),
    ("https://example.org/staff/ann", None),
    ("jane@example.org", None),
])
def test_authors_are_people_not_urls_or_organisations(raw, expected):
    assert authors(raw, page("<html></html>")) == expected


@pytest.mark.parametrize(("raw", "expected"), [("en_US", "en-US"), ("EN", "en"), ("zh-Hans", "zh-Hans"), ("und", None)])
def test_language_tags(raw, expected):
    assert language(raw, page("<html></html>")) == expected


@pytest.mark.parametrize(("html", "expected"), [
    ('<meta property="og:site_name" content="Golem.de"><h1>a</h1><h1>b</h1>'
     '<meta property="og:title" content="LTE-Patent: Samsung soll zerstören - Golem.de">',
     "LTE-Patent: Samsung soll zerstören"),
    ('<meta property="og:title" content="TechCrunch | 2005 Zuckerberg Didn’t Want It">',
     "2005 Zuckerberg Didn’t Want It"),
    ('<meta property="og:title" content="Akkutechnik: Hat Quantumscape genug Akkus?">',
     "Akkutechnik: Hat Quantumscape genug Akkus?"),
    ("<h1><span>Breakpoint</span><span>: Hilfe, die Fundis kommen!</span></h1>",
     "Breakpoint: Hilfe, die Fundis kommen!"),
])
def test_headlines_lose_the_publishers_name_and_keep_their_punctuation(html, expected):
    assert extract_fields(page(html, "https://www.techcrunch.com/2011/story")).values["headline"] == expected


@pytest.mark.parametrize(("html", "expected"), [
    ('<meta property="og:title" content="Drusen fordern Teilhabe">'
     "<h1>Minderheit in Syrien - Drusen fordern Teilhabe</h1>",
     "Drusen fordern Teilhabe"),  # a kicker before it
    ('<meta property="og:title" content="Thioune fordert Geduld">' + ld({"@type": "NewsArticle",
     "headline": "Thioune fordert Geduld | Sport"}), "Thioune fordert Geduld"),  # a section after it
    ('<meta property="og:title" content="Interimstrainer Schubert: Nichts zu verlieren">'
     "<h1>MSV-Interimstrainer Schubert: Nichts zu verlieren</h1>", "MSV-Interimstrainer Schubert: Nichts zu verlieren"),
])
def test_a_kicker_or_section_the_og_title_leaves_out_is_cut(html, expected):
    assert extract_fields(page(f"<html><head>{html}</head></html>")).values["headline"] == expected


@pytest.mark.parametrize(("html", "expected"), [
    ('<title>Insiders: Pence will win - POLITICO</title><meta property="og:site_name" content="POLITICO">'
     '<h1>POLITICO <img alt="Politico Logo"> Politico Logo</h1>', "Insiders: Pence will win"),  # the logo's h1
    ("<title>JVNDB-2018-013542 - JVN iPedia</title><h1>Original text</h1>", "JVNDB-2018-013542"),  # a widget's
    ("<title>On Recent Events - Bradley M. Kuhn</title><h1>On Recent Events</h1>", "On Recent Events"),  # echoed
    ("<h1>No title to ask</h1>", "No title to ask"),
    ("<title>Get your Frontend Code Covered</title><header><h1><a href='/'>Hi, I'm <b>Nicolas.</b></a></h1></header>",
     "Get your Frontend Code Covered"),  # the blog's masthead, a link to its home page
    ("<title>Story headline_智能_好奇心日报</title><a class='logo' href='/'><h1>好奇心日报</h1></a>"
     "<article><h1>Story headline</h1></article>", "Story headline"),  # the logo's h1 does not count as a second
    ("<title>The story - Site</title><h1><a href='/2024/05/the-story'>The story</a></h1>", "The story"),  # its own link
    ("<title>Superbugs: What They Are and How You Get Them</title><h1>Information and Resources</h1>",
     "Superbugs: What They Are and How You Get Them"),  # a box's heading: the title shares only "and" with it
    ('<title>Silicon Exposed: Open Verilog flow</title><meta property="og:title" content="Open Verilog flow">'
     "<h1>Silicon Exposed</h1>", "Open Verilog flow"),  # the blog's name: the title holds it, the social title not
    ('<title>Open Verilog flow - Silicon Exposed</title><meta property="og:site_name" content="Silicon Exposed">'
     '<meta property="og:title" content="Silicon Exposed"><h1>Open Verilog flow</h1>',
     "Open Verilog flow"),  # a social title naming only the site: the <title>'s other part is asked
    ('<title>Trump’s promise was a con</title><h1>Site</h1><h1>Other</h1><article><h1>Broken Pledge</h1></article>',
     "Broken Pledge"),  # the story's own h1, in its <article>
])
def test_a_pages_one_h1_that_no_title_echoes_is_not_its_headline(html, expected):
    assert extract_fields(page(f"<html><head>{html}</head></html>")).values["headline"] == expected


@pytest.mark.parametrize(("article", "h1", "expected"), [
    ({"name": "New Zealand", "headline": "constitutional monarchy in Oceania"}, "New Zealand", "New Zealand"),
    ({"name": "Site name", "headline": "The story"}, "The story", "The story"),  # the h1 prints the headline
    ({"name": "Other", "headline": "The story"}, "A third text", "The story"),  # the h1 confirms neither
])
def test_json_ld_headline_gives_way_to_its_name_only_when_the_h1_prints_the_name(article, h1, expected):
    html = ld({"@type": "Article", **article}) + f"<h1>{h1}</h1>"
    found = extract_fields(page(html))
    assert found.values["headline"] == expected and found.winners["headline"] == "jsonld:headline"


@pytest.mark.parametrize(("html", "authors", "organisations"), [
    (ld({"@type": "NewsArticle", "author": [{"@type": "Person", "name": "Ann Lee"},
                                            {"@type": "Organization", "name": "Wire"}]}), ["Ann Lee"], ["Wire"]),
    (ld({"@type": "NewsArticle", "author": {"@type": ["Person", "Organization"], "name": "Taylor Hatmaker"}}),
     ["Taylor Hatmaker"], None),
    ('<meta property="og:site_name" content="ABC News"><meta name="author" content="ABC News">'
     '<p class="byline">By Josh Haskell and David Caplan</p>', ["Josh Haskell", "David Caplan"], ["ABC News"]),
    ('<meta property="og:site_name" content="Fox News"><div class="author-byline">Julius Young, Fox News</div>',
     ["Julius Young"], ["Fox News"]),
    # a page that names no person: the organisations it names as author are its authors
    ('<meta name="author" content="Reuters Staff">', ["Reuters Staff"], ["Reuters Staff"]),
    ('<meta property="og:site_name" content="Le Figaro">'
     + ld({"@type": "NewsArticle", "author": [{"@type": "Person", "name": "Le Figaro et AFP"}]}),
     ["Le Figaro", "AFP"], ["Le Figaro"]),  # the publisher and a wire's initials: no person
    ('<meta name="author" content="mediagene Inc."><meta name="author" content="小暮ひさのり">', ["小暮ひさのり"],
     ["mediagene Inc"]),  # a company's legal form
    (ld({"@type": "NewsArticle", "author": {"@type": "Organization", "name": "Salzburger Nachrichten"}})
     + '<meta property="og:site_name" content="Salzburger Nachrichten">'
     '<meta name="author" content="Salzburger Nachrichten"><meta name="author" content="@sn_aktuell">',
     ["Salzburger Nachrichten"], ["Salzburger Nachrichten"]),
    ('<meta name="author" content="BWW News Desk"><span class="byline">by BWW News Desk</span>',
     ["BWW News Desk"], ["BWW News Desk"]),
    (ld({"@type": "NewsArticle", "author": {"@type": "Organization", "name": "BR24 Redaktion"}})
     + '<div class="byline">Von <a href="/autor/ann-lee">Ann Lee</a></div>', ["Ann Lee"], ["BR24 Redaktion"]),
    ('<div class="byline">By Sam Stein Senior Politics Editor</div><div class="related"><p class="byline">Other One'
     '</p></div>', ["Sam Stein"], None),
])
def test_people_and_organisations_named_as_authors_are_kept_apart(html, authors, organisations):
    found = extract_fields(page(html, "https://abcnews.example.com/story")).values
    assert found.get("authors") == authors and found.get("author_organisations") == organisations


@pytest.mark.parametrize(("line", "expected"), [
    ("Written by Dana Whitfield in Software on 1 December 2026 at 08:34 PM EST.", ["Dana Whitfield"]),
    ("Posted by Ann Lee and Sam Roe, 2 hours ago", ["Ann Lee", "Sam Roe"]),
    ("By Jane Doe | December 1, 2026", ["Jane Doe"]),
    ("Written by hand, these notes survive.", None),  # no name after the label
    ("Photographs taken by Ann Lee", None),  # a credit, not a label that starts the line
])
def test_a_byline_printed_as_plain_text_after_its_label_names_the_authors(line, expected):
    html = f'<html><body><h1>Story</h1><div class="details">{line}</div><p>Text of the story.</p></body></html>'
    found = extract_fields(page(html, "https://news.example.org/story"))
    assert found.values.get("authors") == expected
    if expected:
        assert found.winners["authors"] == "text:byline"


def test_a_newsroom_named_after_the_host_in_a_byline_is_the_publisher_not_an_author():
    html = ('<html><body><h1>Story</h1><div class="byline">Pete Evans · CBC News · Posted: Oct 14, 2022 9:27 AM'
            ' ET</div><p>Text of the story.</p></body></html>')
    found = extract_fields(page(html, "https://www.cbc.ca/news/business/crea-september-numbers-1.6616369")).values
    assert found.get("authors") == ["Pete Evans"] and found.get("author_organisations") == ["CBC News"]


def test_opengraph_times_written_with_a_colon_for_the_underscore_are_read():
    html = ('<meta property="article:published:time" content="2024-12-16T09:12:00+01:00">'
            '<meta property="article:modified:time" content="2024-12-16T10:00:00+01:00">')
    found = extract_fields(page(f"<html><head>{html}</head></html>", "https://news.example.org/story"))
    assert found.values["date_published"].instant == "2024-12-16T09:12:00+01:00"
    assert found.winners["date_published"] == "meta:article:published_time+"
    assert found.values["date_modified"].instant == "2024-12-16T10:00:00+01:00"


@pytest.mark.parametrize(("label", "data", "expected"), [
    ("Written by", "Anna Sleegers", ["Anna Sleegers"]),
    ("Verfasst von", "Jana Roe", ["Jana Roe"]),
    ("Est. reading time", "3 minutes", None),  # another pair Yoast writes: not an author
    ("Written by", "Example News", None),  # the publisher: a byline on the page says more
])
def test_yoasts_twitter_written_by_pair_names_the_author(label, data, expected):
    html = (f'<html><head><meta property="og:site_name" content="Example News">'
            f'<meta name="twitter:label1" content="{label}"><meta name="twitter:data1" content="{data}">'
            f'</head><body><p>Text</p></body></html>')
    found = extract_fields(page(html, "https://news.example.org/story"))
    assert found.values.get("authors") == expected
    if expected:
        assert found.winners["authors"] == "meta:twitter:data"


@pytest.mark.parametrize(("html", "expected"), [
    ('<ul class="metaInfoAuthorList"><li class="metaInfoAuthorList-item"><a href="/author/wladekflakin/">'
     'Nathaniel Flakin</a></li></ul>', ["Nathaniel Flakin"]),
    ('<div class="leaf-headline-inner"><span class="writer">松村太郎</span><span class="date">2019年04月13日</span>'
     '</div>', ["松村太郎"]),
    ('<ul class="nav"><li><a href="/Season/2023-Football/">By Position FB Transfers</a></li></ul><header>'
     '<div class="article-cnt__meta"><a class="article-cnt__author" href="/User/TravisHaney/"><img alt="">'
     'Travis Haney</a></div></header>', ["Travis Haney"]),  # the story's author, not a menu's "By ..." link
    ('<div class="post-author single"><p>By <a href="/authors/laura-e-adkins/">Laura E. Adkins</a> December 28, '
     '2017</p></div>', ["Laura E. Adkins"]),
    ('<div class="comments"><span class="comment-author">Troll</span></div><p class="comment-author">Other</p>'
     '<div class="author-bio">Ann Lee writes about cities and the people who build them.</div>', None),
    ('<div class="detailBodyContainer withSidebar"><span class="authorText">Pete Evans</span></div>',
     ["Pete Evans"]),  # the story's container says the layout has a sidebar: it is not one
    ('<div class="sidebar"><span class="authorText">Other One</span></div>', None),
])
def test_bylines_in_elements_whose_class_says_author_or_writer(html, expected):
    found = extract_fields(page(f"<html><body><h1>Story</h1>{html}<p>Text</p></body></html>",
                                "https://news.example.org/story")).values
    assert found.get("authors") == expected


@pytest.mark.parametrize(("html", "expected"), [
    ('<nav><ul><li><a href="/author/dawna-friesen/">Dawna Friesen</a></li><li><a href="/common/profile/profile'
     'Update.jsp">Update Profile</a></li></ul></nav><article><div class="Yc FC"><a class="NU" href="/profile/teresa-'
     'newsome-1910837">Teresa Newsome</a></div></article>', ["Teresa Newsome"]),
    ('<div class="t-meta-small"><a class="th-meta" href="https://www.engadget.com/about/editors/jon-fingas/">Jon '
     'Fingas</a></div>', ["Jon Fingas"]),
    ('<ul class="menu"><li><a href="/author/dawna-friesen/">Dawna Friesen</a></li></ul>', None),  # a menu's
    ('<p>Read <a href="/people/donald-trump">Donald Trump</a></p>', None),  # a topic page, not an author's
    ('<div class="sc-1 x"><a class="js_link" href="/author/miserableshitehawk">Chris Thompson</a></div>',
     ["Chris Thompson"]),  # an account name in the address: the page's only link to a person's page
    ('<div><a href="/author/miserableshitehawk">Chris Thompson</a> <a href="/author/kotaku">Luke Plunkett</a></div>',
     None),  # two such links, neither named in its address: which one wrote it is not said
])
def test_a_link_to_the_authors_own_page_is_a_byline_when_nothing_else_names_one(html, expected):
    found = extract_fields(page(f"<html><body><h1>Story</h1>{html}<p>Text</p></body></html>",
                                "https://news.example.org/story")).values
    assert found.get("authors") == expected


def test_a_pictures_caption_credits_its_painter_not_the_storys_author():
    html = ('<html><head>' + ld({"@type": "Article", "author": {"@type": "Organization",
                                                                 "name": "Contributors to Wikimedia projects"}})
            + '</head><body><h1>Māori</h1><div class="thumb tright"><div class="thumbinner"><img src="/h.jpg">'
            '<div class="thumbcaption">Portrait of Hinepare of <a href="/wiki/Ngati">Ngāti Kahungunu</a> by '
            '<a href="/wiki/Gottfried_Lindauer">Gottfried Lindauer</a>, showing chin tattoo</div></div></div>'
            '<p>Text</p></body></html>')
    found = extract_fields(page(html, "https://en.wikipedia.org/wiki/Maori"))
    assert found.values["authors"] == ["Contributors to Wikimedia projects"]


AUTHOR_CASES = {
    "a picture's microdata author is its photographer, not the story's author": (
        '<html><head><meta name="author" content="Austin Murphy"></head><body><h1>Story</h1>'
        '<div class="m-detail--body"><figure class="tml-image"><img src="/a.jpg"><figcaption>'
        '<p class="tml-image--attribution" itemprop="author"><span>Greg Nelson</span></p></figcaption></figure>'
        '<p>Text</p></div></body></html>', ["Austin Murphy"], "meta:author+"),
    "the byline printed on the page says more than Yoast's written by": (
        '<html><head><meta name="twitter:label1" content="Written by"><meta name="twitter:data1" '
        'content="Sameer Rahim"></head><body><h1>Story</h1><div class="byline"><div class="byline__content">'
        '<a class="byline__name">Duncan Bell</a></div></div><p>Text</p></body></html>', ["Duncan Bell"], "byline"),
    "Yoast's twitter:misc:Written by names the author where the author meta is an e-mail": (
        '<html><head><meta name="author" property="author" content="d.kuckelkorn@boersen-zeitung.de">'
        '<meta name="twitter:misc:Written by" property="twitter:misc:Written by" content="Dieter Kuckelkorn">'
        '<meta name="twitter:misc:Est. reading time" content="3 Minuten"></head><body><p>Text</p></body></html>',
        ["Dieter Kuckelkorn"], "meta:twitter:data"),
    "a byline with more than names gives the names its author-page links carry": (
        '<html><body><h1>Story</h1><div class="byline"><a href="/toireporter/author-Saibal-Dasgupta-13399.cms">'
        'Saibal Dasgupta</a> / TNN / <span>Updated: Oct 9, 2019, 11:05 IST</span>'
        '<a href="/toireporter/author-Saibal-Dasgupta-13399.cms">Bio</a><a href="/share">Share Story</a>'
        '</div><p>Text</p></body></html>', ["Saibal Dasgupta"], "byline"),
}
"""Pages whose author sources disagree: the page's markup, the authors the base must give, the source that wins."""


@pytest.mark.parametrize(("html", "authors", "winner"), AUTHOR_CASES.values(), ids=AUTHOR_CASES.keys())
def test_the_source_that_names_the_storys_author_wins(html, authors, winner):
    found = extract_fields(page(html, "https://news.example.org/story"))
    assert found.values["authors"] == authors and found.winners["authors"] == winner


def test_sd_shows_the_record_the_crawl_makes_though_it_traces_every_source():
    from broadsheet.extract.explain import explain
    from spiders.article import ArticleSpider

    html = ('<html><head><meta property="og:site_name" content="Fox News">'
            + ld({"@type": "NewsArticle", "headline": "Story", "author": {"@type": "Person", "name": "Julius Young"}})
            + '</head><body><h1>Story</h1><div class="byline">Video by Reuters Staff</div><p>Text</p></body></html>')
    response = HtmlResponse("https://www.foxnews.com/sports/story", body=html.encode(), encoding="utf-8",
                            headers={"Date": "Fri, 22 Nov 2024 10:00:00 GMT"})
    spider = ArticleSpider(urls=response.url)
    traced, record = explain(spider, response)
    crawled = spider.build_article(response, extract_fields(Page(response, spider.page_state),
                                                            spider.sources_at(spider.reference_time(response))))
    assert record == crawled.to_dict() and record["authors"] == ["Julius Young"]
    assert not record["author_organisations"]  # the crawl reads no byline that is not the author's
    assert any(c.source == "byline" for c in traced.candidates["authors"])  # every candidate still shown


def test_the_outlet_a_byline_prints_beside_the_authors_structured_data_names_is_their_organisation():
    html = ('<html><head><meta property="og:site_name" content="Fox News">'
            + ld({"@type": "NewsArticle", "headline": "Story", "author": {"@type": "Person", "name": "Julius Young"}})
            + '</head><body><h1>Story</h1><div class="byline">Related: By Ann Other | Sky Sports</div>'
            '<div class="author-byline">By <a href="/person/y/julius-young">Julius Young</a> | Fox News</div>'
            '<p>Text</p></body></html>')
    found = extract_fields(page(html, "https://www.foxnews.com/sports/story"))
    assert found.values["authors"] == ["Julius Young"] and found.winners["authors"] == "jsonld:author"
    assert found.values["author_organisations"] == ["Fox News"]  # not Sky Sports: that byline is not theirs


def test_url_fields_are_uris_with_the_pages_entities_decoded_once():
    # junge Welt writes its canonical link and og:url with an umlaut; Engadget's og:image (as the recorded page
    # holds it) has "&amp;" for the query's "&" and a character reference where "&image" stood
    html = ('<html><head><link rel="canonical" href="https://www.jungewelt.de/artikel/474126.orden-fürs-morden.html">'
            '<meta value="https://o.aolcdn.com/images/dims?resize=1200%2C630&amp;quality=80&#x2111;uri=https%3A%2F%2F'
            's.yimg.com%2Fa.jpg&amp;client=amp-blogside-v2&amp;amp=1" name="og:image"></head>'
            '<body><h1>H</h1></body></html>')
    values = extract_fields(page(html)).values
    assert values["canonical_url"] == "https://www.jungewelt.de/artikel/474126.orden-f%C3%BCrs-morden.html"
    assert values["image"] == ("https://o.aolcdn.com/images/dims?resize=1200%2C630&quality=80%E2%84%91uri=https%3A%2F%2F"
                               "s.yimg.com%2Fa.jpg&client=amp-blogside-v2&amp=1")
