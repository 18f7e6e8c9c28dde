"""Whether a page is an article, by what it says of itself (``not_article_reason``)."""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse

from broadsheet.extract.pagetype import not_article_reason

# readwrite.com's story page (2015) as served: an AngularJS shell whose story its scripts load; the body shows no text
SHELL = ('<!DOCTYPE html><!--[if gt IE 8]><!--><html class="no-js" id="phx-wrapper"><!--<![endif]-->'
         '<head phx-view-meta><style>[ng-cloak] {display: none !important;}</style><base href="/">'
         '<meta charset="utf-8"><meta name="fragment" content="!"><title></title>'
         '<link rel="alternate" type="application/rss+xml" title="RSS" href="/rss.xml"></head>'
         '<body ng-class="bodyClasses"><!--[if lt IE 7]><p class="chromeframe">You are using an outdated browser.</p>'
         '<![endif]--><phx-is-visible phx-visible-name="Mastehead"></phx-is-visible><div id="lyra-wrapper">'
         '<div phx-off-canvas-nav class="m-off-canvas--menu"></div><phx-nav></phx-nav>'
         '<section class="m-page-container trackable click" phx-pages></section></div>'
         '<noscript>Enable JavaScript</noscript><script>var phx = {"page": "story"};</script>\n </body></html>')


@pytest.mark.parametrize(("html", "reason"), [
    (SHELL, "not_article_empty"),
    (SHELL.replace("<phx-nav></phx-nav>", "<phx-nav></phx-nav><p>The story</p>"), None),
    (SHELL.replace("<phx-nav></phx-nav>", "<b></b>A tail"), None),  # text after an element is shown too
    (SHELL.replace("<title></title>", '<meta property="og:type" content="article">'), None),  # says it is an article
])
def test_a_page_whose_body_shows_no_text_is_not_an_article(html, reason):
    url = "http://readwrite.com/2015/01/13/apple-app-charlie-hebdo-mark-fiore-cartoons"
    assert not_article_reason(HtmlResponse(url, body=html.encode(), encoding="utf-8")) == reason
