"""The news base: ``NewsSpider`` and the structured-data and XPath helpers it reads pages with."""

from broadsheet.news.spider import CardLayout, NewsSpider

__all__ = ["CardLayout", "NewsSpider"]
