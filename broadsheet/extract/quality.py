"""How sure an extraction is: a score from which fields were found and how strong their sources are.

Structured data (JSON-LD, page state, the site's own rules, declared metas) is strong; a heuristic
(a visible-text date, a byline found by class, the main-content extractor, a URL digit run, the
``<title>``) is weaker. The score is the weighted share of key fields found, each weighted by its
source's strength; a record below about 0.6 is worth a second look or a fallback extractor.
"""

from __future__ import annotations

from broadsheet.extract.fields import Extraction

FIELD_SOURCE_NAMES = ("headline", "authors", "author_organisations", "date_published", "date_modified", "description",
                      "image", "language", "section", "keywords", "body", "canonical_url", "article_id", "free_access",
                      "tickers")
"""The fields whose winning source a record names (``field_sources``)."""

WEIGHTS = {"headline": 0.25, "body": 0.35, "date_published": 0.2, "authors": 0.1, "language": 0.05,
           "description": 0.05}
WEAK_SOURCES = {"title": 0.6, "text": 0.6, "text:label": 0.7, "text:byline": 0.6, "byline": 0.8, "url": 0.5,
                "main_content": 0.8, "detected": 0.7, "h1": 0.9, "time": 0.9, "htmldate": 0.6, "text:title": 0.5,
                "title:day": 0.6, "text:first": 0.4}


DOUBTFUL_BODY = 0.3
"""The strength of a body the generic extractors disagreed on (``Body.doubtful``)."""


def quality(found: Extraction) -> float:
    """The weighted share (0-1) of key fields found, each by its source's strength."""
    score = sum(weight * WEAK_SOURCES.get(found.winners[field], 1.0)
                for field, weight in WEIGHTS.items() if field in found.winners)
    if getattr(found.values.get("body"), "doubtful", False):
        score -= WEIGHTS["body"] * (WEAK_SOURCES["main_content"] - DOUBTFUL_BODY)
    return round(score / sum(WEIGHTS.values()), 3)
