"""Check the spider's generator callbacks for ``return value`` once per crawl, not once per response.

Scrapy warns when a callback is a generator that returns a value (the value is lost). It runs
that check for every response (``WARN_ON_GENERATOR_RETURN_VALUE``), and its cache is keyed by the
bound method, which is a new object per request and dies at once: so each response of a
generator callback reads the method's source and parses it with ``ast`` again (measured with
``benchmarks/bench_crawl.py``: about 0.4 ms per page, an eighth of a mitrade page's cost).

The project's settings switch Scrapy's per-response check off, and this extension runs the same
check, with Scrapy's own function, once for every generator method of the spider's class when the
spider opens, so a spider author still gets the warning. With ``WARN_ON_GENERATOR_RETURN_VALUE``
on, Scrapy checks per response and this extension stands aside.
"""

from __future__ import annotations

import inspect
import logging
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.misc import is_generator_with_return_value

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def generators_returning_values(spider_class: type) -> list[str]:
    """The names of ``spider_class``'s generator methods that ``return`` a value other than None."""
    names = []
    for name, function in inspect.getmembers(spider_class, inspect.isgeneratorfunction):
        try:
            if is_generator_with_return_value(function):
                names.append(name)
        except (OSError, SyntaxError):  # no source (built at run time) or source Scrapy cannot parse
            continue
    return names


class GeneratorReturnCheck:
    """At ``spider_opened``: one warning per generator method of the spider that returns a value."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> GeneratorReturnCheck:
        """Connect to the spider's open, unless Scrapy's per-response check is on."""
        if crawler.settings.getbool("WARN_ON_GENERATOR_RETURN_VALUE"):
            raise NotConfigured("WARN_ON_GENERATOR_RETURN_VALUE is on: Scrapy checks every response")
        extension = cls()
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        """Warn about each generator method of ``spider`` whose ``return`` value would be lost."""
        for name in generators_returning_values(type(spider)):
            logger.warning(
                "%(spider)s.%(method)s is a generator with a 'return' of a value: the value is lost "
                "(return nothing, or yield it)", {"spider": type(spider).__name__, "method": name})
