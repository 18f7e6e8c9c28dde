"""The add-on that turns a crawl into a worker of a shared crawl when ``REDIS_URL`` is set.

Scrapy applies add-ons after the command line's settings, so ``-s REDIS_URL=...`` alone
switches on: the shared scheduler, the lease bookkeeping (``leases.py``), the per-site
politeness across workers (``politeness.py``) and ``DISCOVERY_PLAN_EACH_DOCUMENT`` (a worker
requests the stories of each discovery document it read at once: it is idle only when every
worker is). Without ``REDIS_URL`` it changes nothing.

A site's ``DOWNLOAD_DELAY`` is kept between any two workers' requests by the lease itself
(``FRONTIER_DOWNLOAD_DELAY``, taken from ``DOWNLOAD_DELAY``), so a worker's own downloader slot
waits no delay and AutoThrottle (a per-worker delay) is off: the request holds its site's token
from the lease on, and waiting out a local delay would hold that token from every worker.
"""

from __future__ import annotations

from scrapy.exceptions import NotConfigured
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings

# Outermost spider middleware: it sees every callback's and errback's output end.
LEASES_SPIDER_MIDDLEWARE = ("broadsheet.frontier.leases.FinishLeasesSpiderMiddleware", 1)
# Outermost downloader middleware: it sees a download failure that no middleware turned into a retry.
LEASES_DOWNLOADER_MIDDLEWARE = ("broadsheet.frontier.leases.FinishLeasesDownloaderMiddleware", 1)
# Innermost: a site's token is held only around the download itself.
POLITENESS_MIDDLEWARE = ("broadsheet.frontier.politeness.SharedPolitenessMiddleware", 990)


class SharedFrontier:
    """``ADDONS`` entry: the shared frontier, on when ``REDIS_URL`` is set."""

    def update_settings(self, settings: BaseSettings) -> None:
        """Wire the shared scheduler and its middlewares."""
        if not settings.get("REDIS_URL"):
            raise NotConfigured("REDIS_URL is empty: a single-machine crawl")
        settings.set("SCHEDULER", "broadsheet.frontier.scheduler.SharedScheduler", "addon")
        settings.set("DISCOVERY_PLAN_EACH_DOCUMENT", True, "addon")
        settings.set("FRONTIER_DOWNLOAD_DELAY", settings.getfloat("DOWNLOAD_DELAY"), "addon")
        for name, local in (("DOWNLOAD_DELAY", 0), ("AUTOTHROTTLE_ENABLED", False)):
            # over the command line's value too: the shared delay above replaces it
            settings.set(name, local, max(settings.getpriority(name) or 0, SETTINGS_PRIORITIES["addon"]))
        for setting, (path, order) in (("SPIDER_MIDDLEWARES", LEASES_SPIDER_MIDDLEWARE),
                                       ("DOWNLOADER_MIDDLEWARES", LEASES_DOWNLOADER_MIDDLEWARE),
                                       ("DOWNLOADER_MIDDLEWARES", POLITENESS_MIDDLEWARE)):
            settings.set_in_component_priority_dict(setting, path, order)
