"""The per-document plan of a shared crawl (``IncrementalRun.plan(final=False)``): a worker requests
what each discovery document announced as soon as it is read, and no plan of the run requests a
page twice; the final plan at idle takes what is left."""

from __future__ import annotations

from scrapy.utils.test import get_crawler

from broadsheet.state.changes import digest
from broadsheet.state.publication import settle
from broadsheet.state.run import STATS, IncrementalRun
from broadsheet.state.store import CrawlState, Record


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


def test_a_document_plan_leaves_a_known_unchanged_page_to_a_later_source_and_the_final_plan():
    run = new_run()
    for page in "kl":  # stories an earlier run exported, with the lastmod their feed gave then
        run.state.save(Record(f"story-{page}", url=f"https://example.com/{page}",
                              signals={"feed:lastmod": digest("2026-01-01")}))
    run.announce({"url": "https://example.com/k", "sources": ["listing"]})  # a listing gives no change signal
    run.announce({"url": "https://example.com/l", "sources": ["listing"]})
    run.announce({"url": "https://example.com/n", "sources": ["listing"]})
    assert urls(run.plan(final=False)) == ["https://example.com/n"]  # the known pages are not judged yet
    # The feed read later says k changed: the next document plan requests it.
    run.announce({"url": "https://example.com/k", "sources": ["feed"], "lastmod": "2026-02-01"})
    assert urls(run.plan(final=False)) == ["https://example.com/k"]
    assert run.plan() == []  # l stayed unchanged: the final plan skips it, once
    assert run.stats.get_value(f"{STATS}/skipped/unchanged") == 1
    assert run.stats.get_value(f"{STATS}/planned/changed") == 1


def test_a_single_machine_crawl_plans_everything_once_at_idle():
    run = new_run()
    for page in "abc":
        run.announce({"url": f"https://example.com/{page}", "sources": ["listing"]})
    assert urls(run.plan()) == [f"https://example.com/{page}" for page in "abc"]
    assert run.plan() == []
