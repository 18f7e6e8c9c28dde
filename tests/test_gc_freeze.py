"""Start-up objects are frozen out of cycle collections while the spider runs, and given back after."""

from __future__ import annotations

import gc
import logging

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from broadsheet.extensions.gc_freeze import YOUNG_THRESHOLD, GcFreeze
from broadsheet.logs.formatter import writes_debug


def test_objects_alive_at_spider_open_are_frozen_until_it_closes():
    extension = GcFreeze.from_crawler(get_crawler(settings_dict={"GC_FREEZE": True}))
    try:
        extension.spider_opened()
        assert gc.get_freeze_count() > 0
        extension.spider_closed()
        assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()


def test_the_young_generation_is_collected_less_often_while_the_spider_runs():
    before = gc.get_threshold()
    extension = GcFreeze.from_crawler(get_crawler(settings_dict={"GC_FREEZE": True}))
    try:
        extension.spider_opened()
        assert gc.get_threshold() == (max(YOUNG_THRESHOLD, before[0]), *before[1:])
        extension.spider_closed()
        assert gc.get_threshold() == before
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_gc_freeze_off_is_not_configured():
    with pytest.raises(NotConfigured, match="GC_FREEZE"):
        GcFreeze.from_crawler(get_crawler(settings_dict={"GC_FREEZE": False}))


def test_debug_lines_are_built_only_when_a_handler_writes_them():
    logger = logging.getLogger("broadsheet.tests.debug_check")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    handler = logging.StreamHandler()
    logger.addHandler(handler)
    try:
        handler.setLevel(logging.INFO)
        assert not writes_debug(logger)
        handler.setLevel(logging.DEBUG)
        assert writes_debug(logger)
        logger.setLevel(logging.INFO)
        assert not writes_debug(logger)
    finally:
        logger.removeHandler(handler)
