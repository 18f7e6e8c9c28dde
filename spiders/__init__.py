"""Site spiders, one module per site on ``broadsheet.news.NewsSpider`` (``SPIDER_MODULES``)."""
