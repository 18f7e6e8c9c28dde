"""Broadsheet's framework: everything a site spider stands on.

Each kind of thing has its own package: ``settings``, ``news`` (the ``NewsSpider`` base and its
extraction helpers), ``items`` (derived from the registered schema), ``normalize``, ``recording``
(cassette replay and HAR import), ``exporters``, ``storage``, ``extensions``, ``monitoring`` (run
history, drift rules, reports, alerts), ``commands`` and ``testing`` (the regression-case harness,
never imported by a crawl). Site spiders live in the
top-level ``spiders/`` folder, item pipelines in ``pipelines/``, the schema registry in ``schemas/``.
"""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The checkout: where ``scrapy.cfg`` is and every command runs."""

FIXTURES = PROJECT_ROOT / "fixtures"
"""Recorded traffic and regression cases, one folder per spider."""
