"""Discovery: where a site announces its stories, and what it says about each.

A site declares its sources as data on its spider (``feeds``, ``news_sitemaps``, ``sitemaps``,
``listing_urls``); the base also finds sitemaps in robots.txt ``Sitemap:`` lines and feeds in
``<link rel="alternate">`` of the pages it reads. Every document is fetched through Scrapy's
downloader (robots, throttling, retries and cassettes apply) and parsed here with maintained
parsers: feedparser for RSS/Atom, the standard ``json`` module for JSON Feed, lxml for sitemaps,
Protego (Scrapy's robots parser) for robots.txt.

What a source says about a story is an *announcement*: a small dict that travels with the
article request as ``request.meta["broadsheet_announced"]`` (see ``ANNOUNCED``), with these keys,
each present only when a source gave it:

- ``sources``: the kinds of source that announced the URL (``feed``, ``news_sitemap``,
  ``sitemap``, ``listing``), sorted;
- ``headline``, ``description``, ``authors`` (list of names), ``keywords`` (list),
  ``tickers`` (list, as the source writes them: ``NASDAQ:AMZN``), ``language`` (BCP 47),
  ``date_published`` (RFC 3339 UTC): field sources for the extraction, named as the record's fields;
- ``lastmod`` (RFC 3339 UTC, a sitemap's ``<lastmod>``), ``guid`` (a feed's id),
  ``alternates`` (hreflang -> URL): change signals and identities, not record fields.
"""

ANNOUNCED = "broadsheet_announced"
"""The request meta key holding the announcement of an article request."""
