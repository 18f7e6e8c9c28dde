"""The per-document plan of a shared crawl (``IncrementalRun.plan(final=False)``): a worker requests
what each discovery document announced as soon as it is read, and no plan of the run requests a
page twice; the final plan at idle takes what is left."""

from __future__ import annotations

from scrapy.utils.test import get_crawler

from broadsheet.state.publication import settle
from broadsheet.state.run import STATS, IncrementalRun
from broadsheet.state.store import CrawlState


def new_run() -> IncrementalRun:
    crawler = get_crawler(settings_dict={})
    return IncrementalRun(CrawlState.open(None, judge=settle), crawler)


def urls(planned) -> list[str]:
    return [item.url for item in planned]


def test_each_documents_new_stories_are_planned_at_once_and_never_twice():
    run = new_run()
    run.announce({"url": "https://example.com/a", "sources": ["listing"]})
    run.announce({"url": "https://example.com/b", "sources": ["listing"]})
    assert urls(run.plan(final=False)) == ["https://example.com/a", "https://example.com/b"]
    # A second document announces one story again and one new: only the new one goes.
    run.announce({"url": "https://example.com/b", "sources": ["feed"]})
    run.announce({"url": "https://example.com/c", "sources": ["feed"]})
    assert urls(run.plan(final=False)) == ["https://example.com/c"]
    assert run.plan() == []  # the final plan at idle repeats none of them
    assert run.stats.get_value(f"{STATS}/planned/new") == 3


def test_a_single_machine_crawl_plans_everything_once_at_idle():
    run = new_run()
    for page in "abc":
        run.announce({"url": f"https://example.com/{page}", "sources": ["listing"]})
    assert urls(run.plan()) == [f"https://example.com/{page}" for page in "abc"]
    assert run.plan() == []
