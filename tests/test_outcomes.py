"""Every requested URL ends in exactly one outcome, and text is never silently corrupted.

Real ``scrapy crawl`` runs over cassettes written here: the committed Mitrade recording plus
interactions for each way a page can end (redirect loops, offsite, robots, 4xx/5xx, too large,
not recorded, mislabelled charsets).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from conftest import MITRADE_CASSETTE, CrawlResult, crawl_ahead, run_crawl

NEWS = "https://www.mitrade.com/au/insights/news/live-news/"
LIVE = [NEWS + "article-1-1572010-20260206", NEWS + "article-8-1571455-20260205", NEWS + "article-3-1571402-20260205",
        "https://www.mitrade.com/au/insights/news/analysis/article-2-1342207-20251225",
        NEWS + "article-8-1129088-20250917", NEWS + "article-3-560218-20241217"]
ES = "https://www.mitrade.com/es/insights/news/live-news/article-1-1572010-20260206"  # a translation: its own record
EN = "https://www.mitrade.com/en/articulo/news/live-news/article-8-1129088-20250917"  # canonical is LIVE[4]
REMOVED, GONE = NEWS + "article-8-1570001-20260204", NEWS + "article-3-1569950-20260204"
ROBOTS = "https://www.mitrade.com/au/login"  # robots.txt: Disallow: /*/login
OFFSITE = "https://other.example/news/article-1-1-20260206"
MAXSIZE = 200_000  # the recorded pages are about 85 kB
RUSSIAN = "Рубль укрепился к доллару на фоне роста цен на нефть"
JAPANESE = "日経平均株価は続伸、半導体関連株が上昇しました"
FRENCH = "Le marché du café s'envole : les cours grimpent de 12 % à Paris"


def url(n: int) -> str:
    """A synthetic article URL the mitrade spider accepts (day 2026-02-06)."""
    return f"{NEWS}article-1-{1_000_000 + n}-20260206"


def page(title: str, lang: str = "en", head: str = "", canonical: str | None = None, body: bool = True) -> str:
    """A minimal article page in Mitrade's markup (headline, source, body)."""
    link = f'<link rel="canonical" href="{canonical}"/>' if canonical else ""
    content = f'<div class="NewsDetail_content__x"><p>{title}. {title}.</p></div>' if body else ""
    return (f'<!DOCTYPE html><html lang="{lang}"><head>{head}<title>{title}</title>{link}</head><body><article>'
            f'<h1 class="NewsDetail_title__x">{title}</h1><span class="NewsDetail_sourceName__x">Reuters</span>'
            f"{content}</article></body></html>")


def interaction(uri: str, status: int = 200, body: bytes | str = b"", content_type: str = "text/html; charset=utf-8",
                **headers: str) -> dict:
    """One recorded exchange, dated like the Mitrade capture; ``headers`` with ``_`` for ``-``."""
    data = body.encode() if isinstance(body, str) else body
    recorded = {"content-type": [content_type], "date": ["Fri, 06 Feb 2026 09:12:50 GMT"],
                "content-length": [str(len(data))], **{k.replace("_", "-"): [v] for k, v in headers.items()}}
    return {"request": {"body": None, "headers": {}, "method": "GET", "uri": uri},
            "response": {"body": {"string": data}, "headers": recorded, "status": {"code": status, "message": ""}}}


def cassette(tmp_path: Path, *interactions: dict) -> Path:
    """The Mitrade recording (robots.txt and real pages) plus ``interactions``, as a VCR cassette."""
    data = yaml.safe_load(MITRADE_CASSETTE.read_text(encoding="utf-8"))
    data["interactions"] += list(interactions)
    path = tmp_path / "cassette.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def outcomes(result: CrawlResult) -> dict[str, str]:
    """Each URL's outcome: ``exported`` from the feed, ``skipped/<reason>`` and ``failed/<reason>``
    from the log lines (a URL with two lines would be a defect: each is checked to be unique)."""
    found: dict[str, str] = {item["url"]: "exported" for item in result.items}
    lines = re.findall(r"\] (?:INFO|ERROR): (Skipped|Failed) (\S+)(?: \(at \S+\))?: (\w+)", result.log)
    for kind, page_url, reason in lines:
        assert page_url not in found, f"{page_url}: two outcomes, {found[page_url]} and {kind} {reason}"
        found[page_url] = f"{kind.lower()}/{reason}"
    return found


def partition(result: CrawlResult) -> Counter[str]:
    """The ``broadsheet/pages/...`` stats."""
    prefix = "broadsheet/pages/"
    return Counter({k[len(prefix):]: v for k, v in result.stats.items() if k.startswith(prefix)})


def crawl(tmp_path: Path, urls: list[str], path: Path, *args: str) -> CrawlResult:
    return run_crawl(tmp_path / "run", "mitrade", "-s", "FIELD_COVERAGE_ENABLED=False", *args, urls=urls,
                     cassette=path)


# Each test's crawl is started ahead (``crawl_ahead``), all of them in the background from the
# session's start: ``job(folder, **params) -> CrawlResult``, the test's assertions on ``crawled``.

LOOP_A, LOOP_B, SELF_LOOP, CHAIN, OFFSITE_REDIRECT = url(1), url(2), url(3), url(4), url(9)
MIXED = {
    **dict.fromkeys(LIVE, "exported"), ES: "exported", EN: "skipped/duplicate_locale",
    REMOVED: "skipped/removed", GONE: "skipped/http_404", url(10): "skipped/http_410",
    LOOP_A: "skipped/redirect_loop", SELF_LOOP: "skipped/redirect_loop", CHAIN: "skipped/too_many_redirects",
    OFFSITE_REDIRECT: "skipped/offsite", OFFSITE: "skipped/offsite", ROBOTS: "skipped/robots",
    url(11): "skipped/not_html", url(12): "failed/http_500", url(13): "failed/http_403",
    url(14): "failed/too_large", url(15): "failed/not_in_cassette", url(16): "failed/undecodable",
    url(17): "quarantined", url(20): "exported", url(21): "exported", url(22): "exported",
}
TWINS = [url(30), url(31)]  # one story under two URLs, neither its canonical: one record


def mixed_crawl(folder: Path) -> CrawlResult:
    path = cassette(
        folder,
        interaction(LOOP_A, 301, location=LOOP_B), interaction(LOOP_B, 301, location=LOOP_A),
        interaction(SELF_LOOP, 302, location=SELF_LOOP),
        *(interaction(f"{CHAIN}?hop={n}" if n else CHAIN, 301, location=f"{CHAIN}?hop={n + 1}") for n in range(4)),
        interaction(OFFSITE_REDIRECT, 302, location="https://elsewhere.example/story"),
        interaction(url(10), 410, "gone"), interaction(url(11), body=b"%PDF-1.7", content_type="application/pdf"),
        interaction(url(12), 500, "oops"), interaction(url(13), 403, "forbidden"),
        interaction(url(14), body=page("Big") + " " * MAXSIZE), interaction(url(16), body=os.urandom(2000)),
        interaction(url(17), body=page("No body here", body=False)),
        interaction(url(20), body=page(RUSSIAN, "ru", '<meta charset="windows-1251">').encode("cp1251")),
        interaction(url(21), body=page(JAPANESE, "ja").encode("shift_jis")),
        interaction(url(22), body=page(FRENCH, "fr").encode("latin-1")),
        *(interaction(twin, body=page("Twins", canonical=url(39))) for twin in TWINS),
    )
    return crawl(folder, [*MIXED, *TWINS], path, "-s", f"DOWNLOAD_MAXSIZE={MAXSIZE}", "-s", "REDIRECT_MAX_TIMES=2",
                 "-s", "FAILURE_MAX_SHARE=0.25")


@crawl_ahead(mixed_crawl)
def test_mixed_crawl_accounts_for_every_url(crawled):
    result = crawled
    assert result.returncode == 0, result.log[-3000:]
    assert result.finish_reason == "finished"

    got = outcomes(result)
    quarantine = (result.out.parent / "out.quarantine.jsonl").read_text(encoding="utf-8")
    assert url(17) in quarantine and url(17) not in got
    got[url(17)] = "quarantined"
    assert {u: got.get(u) for u in MIXED} == MIXED
    assert sorted(got[t] for t in TWINS) == ["exported", "skipped/duplicate_locale"]

    counts = partition(result)
    assert sum(counts.values()) == result.stats["broadsheet/requested"] == len({*MIXED, *TWINS}) == 29
    assert counts == Counter(got.values())
    summary = next(line for line in result.log.splitlines() if "URLs requested" in line)
    assert "mitrade finished (finished): 29 URLs requested = 11 exported + 1 quarantined + 0 listing + " in summary
    assert "5 failed (http_403 1, http_500 1, not_in_cassette 1, too_large 1, undecodable 1)" in summary
    assert "already been played back" not in result.log  # a retried 5xx reports its status

    records = result.by_url()
    assert (records[url(20)]["headline"], records[url(21)]["headline"], records[url(22)]["headline"]) == (
        RUSSIAN, JAPANESE, FRENCH)
    assert not [r["url"] for r in result.items if "\ufffd" in str(r)]
    assert result.stats["broadsheet/text/recoded/meta"] == 1  # cp1251 under charset=utf-8, <meta> right
    assert result.stats["broadsheet/text/recoded/detected"] == 2  # Shift-JIS and latin-1, no <meta>
    assert f"Recoded {url(20)}: the body is not utf-8 as its Content-Type says; decoded as cp1251 (meta)" in result.log


def redirect_crawl(folder: Path) -> CrawlResult:
    return crawl(folder, [url(1), LIVE[1]], cassette(folder, interaction(url(1), 301, location=LIVE[1])))


@crawl_ahead(redirect_crawl)
def test_a_redirect_to_a_page_the_crawl_fetches_is_one_record(crawled):
    """Which of the two URLs fetches the page first depends on timing; either way one record, one skip."""
    result = crawled
    assert result.returncode == 0, result.log[-2000:]
    assert [item["url"] for item in result.items] == [LIVE[1]]
    assert partition(result) in (Counter({"exported": 1, "skipped/redirect_duplicate": 1}),
                                 Counter({"exported": 1, "skipped/duplicate": 1}))
    assert result.stats["broadsheet/requested"] == 2


def refresh(target: str) -> str:
    """A page that sends the browser on to ``target`` at once."""
    return page("Moved", head=f'<meta http-equiv="Refresh" content="0; url={target}">')


def refresh_crawl(folder: Path) -> CrawlResult:
    utf16 = interaction(url(2), body=refresh(LIVE[2]).encode("utf-16"), content_type="text/html; charset=utf-16")
    path = cassette(folder, interaction(url(1), body=refresh(LIVE[1])), utf16,
                    interaction(url(3), body=page("Refresh your portfolio")))
    return crawl(folder, [url(1), url(2), url(3)], path)


@crawl_ahead(refresh_crawl)
def test_a_meta_refresh_is_followed_in_any_charset(crawled):
    """The byte scan that spares decoding pages without ``refresh`` follows a UTF-8 and a UTF-16 page's refresh;
    a page that only says "Refresh" is read as itself."""
    result = crawled
    assert result.returncode == 0, result.log[-2000:]
    assert sorted(item["url"] for item in result.items) == sorted([LIVE[1], LIVE[2], url(3)])
    assert partition(result) == Counter({"exported": 3})


def busy_crawl(folder: Path, retries: bool) -> CrawlResult:
    path = cassette(folder, interaction(url(1), 503, "busy"))
    return crawl(folder, [url(1), LIVE[0]], path, "-s", f"RETRY_ENABLED={retries}", "-s", "FAILURE_MAX_SHARE=0.5")


@crawl_ahead(busy_crawl)
@pytest.mark.parametrize("retries", [True, False], ids=["retried", "no-retry"])
def test_a_5xx_is_a_failure_with_its_status(crawled, retries):
    result = crawled
    assert result.returncode == 0, result.log[-2000:]
    assert partition(result) == Counter({"exported": 1, "failed/http_503": 1})
    assert f"Failed {url(1)}: http_503" in result.log
    assert result.stats.get("retry/count", 0) == (2 if retries else 0)
    assert "already been played back" not in result.log


def recovery_crawl(folder: Path) -> CrawlResult:
    path = cassette(folder, interaction(url(1), 500, "oops"), interaction(url(1), body=page("Recovered")))
    return crawl(folder, [url(1)], path)


@crawl_ahead(recovery_crawl)
def test_a_retry_replays_the_recorded_recovery(crawled):
    """A cassette that recorded a 500 and then the page (a retry that worked) replays both."""
    result = crawled
    assert result.returncode == 0, result.log[-2000:]
    assert [item["headline"] for item in result.items] == ["Recovered"]
    assert partition(result) == Counter({"exported": 1})


@crawl_ahead(lambda folder: crawl(folder, [url(1), url(2)], cassette(folder), "-s", "FAILURE_MAX_SHARE=1"))
def test_a_crawl_whose_every_page_fails_exits_1(crawled):
    result = crawled
    assert result.returncode == 1
    assert result.finish_reason == "failed_all_pages"
    assert partition(result) == Counter({"failed/not_in_cassette": 2})
    assert "2 of 2 requested URLs failed" in result.log


def share_crawl(folder: Path, share: str, **_) -> CrawlResult:
    return crawl(folder, [url(1), *LIVE[:2]], cassette(folder), "-s", f"FAILURE_MAX_SHARE={share}")


@crawl_ahead(share_crawl)
@pytest.mark.parametrize(("share", "code", "reason"), [("0.2", 1, "failed_failure_share"), ("0.5", 0, "finished")])
def test_failures_above_failure_max_share_fail_the_crawl(crawled, share, code, reason):
    result = crawled
    assert (result.returncode, result.finish_reason) == (code, reason), result.log[-2000:]
    assert result.stats["broadsheet/requested"] == 3


@crawl_ahead(lambda folder: crawl(folder, [LIVE[0]], cassette(folder), "-s", "FAILURE_MAX_SHARE=2"))
def test_a_bad_failure_max_share_names_the_setting(crawled):
    result = crawled
    assert result.returncode != 0
    assert "FAILURE_MAX_SHARE='2'" in result.log and result.items == []


LEGACY = {"cp1251": RUSSIAN, "koi8-r": RUSSIAN, "shift_jis": JAPANESE, "euc-jp": JAPANESE, "cp1252": FRENCH,
          "gbk": "上证指数收涨，券商股领涨", "big5": "台股收盤上漲，電子股領漲",
          "euc-kr": "코스피가 반도체주 강세에 상승 마감했다", "cp874": "ตลาดหุ้นไทยปิดบวกจากแรงซื้อหุ้นพลังงาน"}


@pytest.mark.parametrize("encoding", sorted(LEGACY))
def test_legacy_bytes_are_never_taken_for_corrupt_utf8(encoding):
    from broadsheet.middlewares.charset import utf8_errors

    assert utf8_errors(page(LEGACY[encoding] * 3).encode(encoding)) is None


def test_stray_bytes_in_utf8_are_counted_as_corrupt_utf8():
    from broadsheet.middlewares.charset import utf8_errors

    utf8 = page("Bitcoin surrenders \u2018$65,000\u2019 \u2014 analysts").encode()  # the title 4 times: 12 non-ASCII
    assert utf8_errors(utf8) == 0
    assert utf8_errors(utf8.replace(b"surrenders", b"surr\xe9nders")) == 4  # one stray byte per copy
    assert utf8_errors(b"<p>caf\xe9</p>") is None  # no valid UTF-8 beside it: latin-1


def corrupt_crawl(folder: Path, content_type: str) -> CrawlResult:
    body = page(RUSSIAN, "ru").replace("Reuters", "Reu\udcffters").encode("utf-8", "surrogateescape")
    return crawl(folder, [url(1)], cassette(folder, interaction(url(1), body=body, content_type=content_type)))


@crawl_ahead(corrupt_crawl)
@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", "text/html", "text/html; charset=iso-8859-1"],
                         ids=["utf8_label", "no_label", "latin1_label"])
def test_a_few_corrupt_bytes_in_utf8_stay_utf8(crawled, content_type):
    """One stray byte in a UTF-8 page is a corrupt byte, not another charset, whatever the label
    says: the page stays UTF-8, and the author it broke (U+FFFD) sends the record to quarantine,
    never to the feed."""
    result = crawled
    assert result.returncode == 1 and result.finish_reason == "failed_invalid_share", result.log[-2000:]
    assert result.items == [] and result.stats["broadsheet/invalid/authors[]/replacement_character"] == 1
    kept = next(result.out.parent.glob("out.quarantine.jsonl.failed-*"))
    (entry,) = [json.loads(line) for line in kept.read_text(encoding="utf-8").splitlines()]
    assert entry["item"]["headline"] == RUSSIAN and entry["item"]["authors"] == ["Reu\ufffdters"]
    assert result.stats["broadsheet/text/invalid_bytes"] == 1
    assert "broadsheet/text/recoded/detected" not in result.stats


def mislabelled_crawl(folder: Path) -> CrawlResult:
    body = page(FRENCH, "fr").encode("utf-8")
    return crawl(folder, [url(1)], cassette(folder, interaction(url(1), body=body,
                                                                content_type="text/html; charset=iso-8859-1")))


@crawl_ahead(mislabelled_crawl)
def test_utf8_under_a_latin1_label_is_read_as_utf8(crawled):
    result = crawled
    assert result.items[0]["headline"] == FRENCH
    assert result.stats["broadsheet/text/recoded/utf8"] == 1


@crawl_ahead(lambda folder: crawl(folder, [*LIVE, ES], cassette(folder), "-s", "CLOSESPIDER_ITEMCOUNT=1"))
def test_a_crawl_closed_early_accounts_for_what_it_never_finished(crawled):
    result = crawled
    assert result.finish_reason == "closespider_itemcount"
    counts = partition(result)
    assert sum(counts.values()) == result.stats["broadsheet/requested"] == 7
    assert counts["exported"] == len(result.items) >= 1
    if counts["failed/unfinished"]:
        assert f"{counts['failed/unfinished']} requested URLs unfinished" in result.log
