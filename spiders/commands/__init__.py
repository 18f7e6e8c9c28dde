"""Broadsheet's Scrapy commands (``COMMANDS_MODULE``): ``scrapy cassette``, ``scrapy schema``."""
