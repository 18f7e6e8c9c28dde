"""Run-over-run monitoring: each crawl's record in a local history (``history``), the rules that
judge a crawl against the good runs before it (``rules``), the HTML report and index
(``report``, Jinja2 templates in ``templates/``) and optional alerts (``alerts``).

The Scrapy extension wiring these into a crawl is ``broadsheet.extensions.monitor``.
"""
