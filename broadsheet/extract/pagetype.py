"""Whether a page is an article, by what it says of itself: a page that declares itself a listing, a
home page or a video page, and shows none of an article's marks, is not one."""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.http import Response

from broadsheet.extract.jsonld import is_article, types_of
from broadsheet.extract.page import json_ld_of, marks_of

LISTING_TYPES = frozenset({"CollectionPage", "ItemList", "SearchResultsPage", "WebSite"})


def not_article_reason(response: Response) -> str | None:
    """``not_article_home``, ``not_article_listing`` or ``not_article_video``; None for an article (or a doubt)."""
    objects = json_ld_of(response)
    marks = marks_of(response)
    if any(is_article(o) for o in objects) or marks.article_marked:
        return None
    og_type = (marks.og_types or [""])[0].strip().lower()
    if og_type == "article":
        return None
    types = {t for o in objects for t in types_of(o)}
    if og_type.startswith("video") or ("VideoObject" in types and not types - {"VideoObject", "WebSite", "Organization",
                                                                              "BreadcrumbList", "WebPage"}):
        return "not_article_video"
    if urlsplit(response.url).path in ("", "/") and og_type in ("", "website"):
        return "not_article_home"
    if types & LISTING_TYPES - {"WebSite"}:
        return "not_article_listing"
    return None
