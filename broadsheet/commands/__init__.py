"""Broadsheet's Scrapy commands (``COMMANDS_MODULE``): ``cassette``, ``crawl``, ``fixture``, ``publishers``,
``report``, ``schema``, ``egg``; and the spider loader they share (``spiderloader``)."""

from typing import Any, ClassVar


class ProjectTool:
    """What the project's non-crawling commands share: run inside the project, start no crawler
    process of their own, and keep Scrapy's log quiet (they print their own results)."""

    requires_project = True
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_ENABLED": False}
