"""The shared queue's order on a real redis-server: priorities first, then the sites in turn."""

from __future__ import annotations

import pytest
import redis

from broadsheet.frontier.state import Politeness, SharedCrawl

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])  # redis-server on loopback


def crawl(redis_url: str, scan: int = 200) -> SharedCrawl:
    """A worker's handle with one token per site, looking ``scan`` entries deep."""
    return SharedCrawl(redis.Redis.from_url(redis_url), "queue-test", worker="w1",
                       politeness=Politeness(concurrency=1, scan=scan))


def queue(shared: SharedCrawl, site: str, count: int, priority: int = 0) -> None:
    for n in range(count):
        assert shared.admit(f"{site}-{n}-{priority}", f"{site}\0{site}/{n}".encode(), -priority, False)


def leased_sites(shared: SharedCrawl, count: int) -> list[str | None]:
    """The sites of ``count`` leases in a row, each token given back at once (None: nothing could go)."""
    sites = []
    for _ in range(count):
        leased = shared.lease()
        sites.append(leased and leased[1])
        if leased:
            shared.give_back(leased[1], leased[0])
    return sites


def test_within_one_priority_the_sites_take_turns(redis_url):
    shared = crawl(redis_url)
    queue(shared, "a.example", 3)
    queue(shared, "b.example", 2)
    queue(shared, "c.example", 1)
    assert leased_sites(shared, 7) == ["a.example", "b.example", "c.example", "a.example", "b.example",
                                       "a.example", None]


def test_a_site_with_many_queued_requests_does_not_hide_the_others_from_a_lease(redis_url):
    shared = crawl(redis_url, scan=3)
    queue(shared, "big.example", 50)
    queue(shared, "small.example", 1)
    first = shared.lease()
    assert first[1] == "big.example"  # its one token is now held
    second = shared.lease()
    assert second is not None and second[1] == "small.example"


def test_a_higher_priority_goes_first_whatever_the_sites_turns(redis_url):
    shared = crawl(redis_url)
    queue(shared, "a.example", 2)
    queue(shared, "b.example", 1, priority=5)
    assert leased_sites(shared, 3) == ["b.example", "a.example", "a.example"]


def test_a_request_a_downloader_middleware_returns_instead_gives_its_site_token_back(redis_url):
    # A middleware's process_request returning request.replace(...) skips the download: the politeness
    # middleware never sees a response for the first request, so the scheduler gives its token back.
    from types import SimpleNamespace

    from scrapy import Request, Spider
    from scrapy.utils.test import get_crawler

    from broadsheet.extensions.outcomes import PageOutcomes
    from broadsheet.frontier.scheduler import SharedScheduler

    class TokenSpider(Spider):
        name = "token-test"

    crawler = get_crawler(TokenSpider, {"EXTENSIONS": {PageOutcomes: 0}, "REDIS_URL": redis_url,
                                        "CRAWL_ID": "token-test", "CONCURRENT_REQUESTS_PER_DOMAIN": 1})
    spider = TokenSpider()
    crawler.engine = SimpleNamespace()  # no download here: open() only sets the engine's poll period
    scheduler = SharedScheduler.from_crawler(crawler)
    scheduler.open(spider)
    try:
        assert scheduler.enqueue_request(Request("http://a.example/first"))
        first = scheduler.next_request()
        assert first is not None
        assert scheduler.enqueue_request(first.replace(url="http://a.example/instead"))
        instead = scheduler.next_request()  # the site's one token is free again
        assert instead is not None and instead.url == "http://a.example/instead"
    finally:
        scheduler.beat.stop()


def test_a_shared_crawl_keeps_the_download_delay_in_the_lease_not_in_a_workers_own_slot(redis_url):
    # A worker's downloader slot would wait out DOWNLOAD_DELAY (or AutoThrottle's delay) while the request
    # holds its site's token: the add-on moves the delay into the lease, across workers.
    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    from broadsheet.frontier.addon import SharedFrontier

    crawler = get_crawler(Spider, {"ADDONS": {SharedFrontier: 0}, "REDIS_URL": redis_url, "DOWNLOAD_DELAY": 30,
                                   "AUTOTHROTTLE_ENABLED": True, "CONCURRENT_REQUESTS_PER_DOMAIN": 2})
    assert crawler.settings.getfloat("DOWNLOAD_DELAY") == 0
    assert not crawler.settings.getbool("AUTOTHROTTLE_ENABLED")
    one, other = (SharedCrawl.from_settings(crawler.settings, "delay-test") for _ in range(2))
    queue(one, "a.example", 2)
    assert one.lease()[1] == "a.example"
    assert other.lease() is None  # a free token, but the site's delay holds for every worker
