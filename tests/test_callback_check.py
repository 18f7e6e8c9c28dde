"""A generator callback that returns a value is reported once when the spider opens, not checked per response."""

from __future__ import annotations

import logging

import pytest
import scrapy
from scrapy.exceptions import NotConfigured
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from broadsheet.extensions.callback_check import GeneratorReturnCheck, generators_returning_values


class ReturningSpider(scrapy.Spider):
    """One callback loses its return value, the others are fine."""

    name = "returning"

    def parse(self, response):
        yield {"url": response.url}
        return "lost"

    def parse_fine(self, response):
        yield {"url": response.url}
        return

    def parse_list(self, response):
        return [{"url": response.url}]


def test_only_the_generator_returning_a_value_is_named():
    assert generators_returning_values(ReturningSpider) == ["parse"]


def test_the_warning_names_the_spider_and_method_once_at_open(caplog):
    crawler = get_crawler(ReturningSpider, settings_dict={"WARN_ON_GENERATOR_RETURN_VALUE": False})
    extension = GeneratorReturnCheck.from_crawler(crawler)
    with caplog.at_level(logging.WARNING, logger="broadsheet.extensions.callback_check"):
        extension.spider_opened(ReturningSpider())
    assert [r.getMessage() for r in caplog.records] == [
        "ReturningSpider.parse is a generator with a 'return' of a value: the value is lost "
        "(return nothing, or yield it)"]


def test_scrapy_per_response_check_on_means_this_one_stands_aside():
    with pytest.raises(NotConfigured, match="WARN_ON_GENERATOR_RETURN_VALUE"):
        GeneratorReturnCheck.from_crawler(get_crawler(settings_dict={"WARN_ON_GENERATOR_RETURN_VALUE": True}))


def test_project_settings_check_once_instead_of_per_response():
    settings = get_project_settings()
    assert settings.getbool("WARN_ON_GENERATOR_RETURN_VALUE") is False
    assert "broadsheet.extensions.callback_check.GeneratorReturnCheck" in settings.getdict("EXTENSIONS")
