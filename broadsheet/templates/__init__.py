"""Templates of the project's commands: ``spiders/news.tmpl`` for ``scrapy genspider -t news NAME DOMAIN``
(``TEMPLATES_DIR`` points here)."""
