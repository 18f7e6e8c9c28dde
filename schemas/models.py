"""Pydantic models of the current ``article`` version (article@2), for typed downstream code.

The registered JSON Schema file stays the source of truth: a test checks that these models and
``schemas/article/2.json`` accept and reject the same records. Parse JSON Lines records with
``Article.model_validate_json(line)`` (strict: formats are checked, not coerced).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import (
    AnyUrl,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

NonEmpty = Annotated[str, StringConstraints(min_length=1)]
Url = Annotated[AnyUrl, Field(description="An absolute URI.")]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class RelatedStory(_Record):
    """One card of the related-stories block, as shown."""

    url: Url
    headline: NonEmpty
    summary: str | None
    author: str | None
    date_published: dt.date | None
    date_text: str | None


class Article(_Record):
    """One news article page (article@2)."""

    url: Url
    canonical_url: Url
    site: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+$")]
    article_id: NonEmpty
    language: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")] | None
    headline: NonEmpty
    authors: list[NonEmpty]
    date_published: AwareDatetime | None
    publication_date: dt.date
    date_modified: AwareDatetime | None = None
    description: str | None = None
    image: Url | None = None
    body: NonEmpty
    tickers: list[NonEmpty]
    related: list[RelatedStory]
    crawled_at: AwareDatetime | None = None
    record_schema: Annotated[str, StringConstraints(pattern=r"^[a-z_]+@[0-9]+$")] | None = None
