"""Authoring regression cases: record a page into its case folder, describe it, refresh it.

What ``scrapy fixture add|update`` does (the command only parses its arguments): each case is
``fixtures/<spider>/<case>/`` with ``cassette.yaml``, ``expected.json`` and ``meta.json``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re
import shutil
import tempfile
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy.exceptions import UsageError

from broadsheet.recording.handler import open_cassette
from broadsheet.recording.har import import_har, load_har
from broadsheet.recording.page import ensure_robots, import_page
from broadsheet.recording.scrub import Scrubber
from broadsheet.storage.files import write_text_atomically
from broadsheet.testing.cases import FIXTURES, Case, compact, discover
from broadsheet.testing.crawl import CrawlResult, run_crawl

PREFIX = "fixture"


def case_name(url: str) -> str:
    """A folder name for a page: the last path segment, made safe (``article-8-1129088-20250917``)."""
    segment = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1] or urlsplit(url).netloc
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", segment).strip("-.")[:80] or "page"


def har_chain(entries: list[dict[str, Any]], url: str) -> set[str]:
    """``url``, the redirects it goes through in the capture, and its site's robots.txt."""
    by_url = {entry["request"]["url"]: entry for entry in entries}
    chain, current = {url}, url
    while current in by_url and 300 <= int(by_url[current]["response"]["status"]) < 400:
        location = next((h["value"] for h in by_url[current]["response"]["headers"]
                         if h["name"].lower() == "location"), None)
        if not location or urljoin(current, location) in chain:
            break
        current = urljoin(current, location)
        chain.add(current)
    parts = urlsplit(url)
    chain.add(f"{parts.scheme}://{parts.netloc}/robots.txt")
    return chain


def reference_time(cassette: Path, url: str) -> str | None:
    """The recorded ``Date`` of ``url``'s response, RFC 3339 UTC: the case's reference time."""
    for request, response in open_cassette(cassette, "none").data:
        if request.uri == url:
            for name, values in response["headers"].items():
                if name.lower() == "date":
                    moment = parsedate_to_datetime(values[0] if isinstance(values, list) else values)
                    return moment.isoformat().replace("+00:00", "Z")
    return None


def _dump(value: Any) -> list[str]:
    """Lines to diff: long text line by line (a body is one JSON string), anything else as JSON."""
    if isinstance(value, str) and "\n" in value:
        return value.splitlines()
    return json.dumps(value, indent=2, ensure_ascii=False).splitlines()


def _write_json(path: Path, data: Any) -> None:
    write_text_atomically(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


ERROR_LINE = re.compile(r"\b(ERROR|CRITICAL|Traceback)\b|^\w*(Error|Exception)\b")


def report_failure(what: str, log: str) -> None:
    """Print why a case could not be made: the log's error lines (with the traceback lines after
    each) and the path of a file holding the whole log."""
    with tempfile.NamedTemporaryFile("w", prefix="fixture-", suffix=".log", delete=False, encoding="utf-8") as f:
        f.write(log)
    lines = log.splitlines()
    picked: list[str] = []
    for index, line in enumerate(lines):
        if ERROR_LINE.search(line):
            picked.extend(lines[index:index + 12] if "Traceback" in line else [line])
    excerpt = "\n".join(dict.fromkeys(picked)) or "\n".join(lines[-40:])
    print(f"{PREFIX}: {what}\n{excerpt}\n{PREFIX}: the whole log: {f.name}")


def crawl_failure(result: CrawlResult) -> str | None:
    """Why a case's crawl cannot be trusted (exit code, failed requests), or None."""
    failed = {k.rsplit("/", 1)[-1]: v for k, v in result.stats.items() if k.startswith("broadsheet/pages/failed/")}
    if result.returncode != 0 or failed or not result.stats:
        return f"exit {result.returncode}" + (f", failed requests: {failed}" if failed else "")
    return None


def case_folder(spider: str, name: str) -> Path:
    """``fixtures/<spider>/<name>``; a name that is not one plain folder name is refused."""
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", name) or name in (".", ".."):
        raise UsageError(f"{PREFIX}: --name {name!r}: give a plain folder name (letters, digits, '_', '-', '.'), "
                         f"not a path: the case goes to {FIXTURES / spider}/<name>", print_help=False)
    return FIXTURES / spider / name


def saved_page_time(opts: Any) -> dt.datetime:
    """``--date`` of ``--html``: when the saved page was captured, with its offset (the reference time)."""
    if not getattr(opts, "date", None):
        raise UsageError("--html needs --date: when the page was captured, RFC 3339 (2019-11-19T08:00:00Z); "
                         "it is the case's reference time", print_help=False)
    try:
        served = dt.datetime.fromisoformat(opts.date.replace("Z", "+00:00"))
    except ValueError as exc:
        raise UsageError(f"--date {opts.date!r}: not an RFC 3339 time ({exc})", print_help=False) from exc
    if served.tzinfo is None:
        raise UsageError(f"--date {opts.date!r}: give the offset (Z or +01:00)", print_help=False)
    if not Path(opts.html).is_file():
        raise UsageError(f"--html {opts.html}: no such file", print_help=False)
    return served


class CaseAuthor:
    """Adds and refreshes the cases of a project whose settings are ``settings``."""

    def __init__(self, settings: Any):
        self.settings = settings

    # --- add ------------------------------------------------------------------------------

    def add(self, spider: str, urls: list[str], opts: Any) -> int:
        """Record and describe one case per URL."""
        urls = [*urls, *([opts.url] if getattr(opts, "url", None) else [])]
        if not urls:
            raise UsageError("expected at least one URL: scrapy fixture add SPIDER URL...")
        if opts.name and len(urls) > 1:
            raise UsageError("--name names one case: give one URL with it")
        served = saved_page_time(opts) if getattr(opts, "html", None) else None
        if served and len(urls) != 1:
            raise UsageError("--html imports one page: give its one URL (--url URL or URL)")
        entries = load_har(opts.har) if opts.har else None
        status = 0
        for url in urls:
            folder = case_folder(spider, opts.name or case_name(url))
            if folder.exists() and not getattr(opts, "force", False):
                raise UsageError(f"{PREFIX}: {folder} exists: pick another --name, or add --force to replace it",
                                 print_help=False)
            if entries is not None and url not in {e["request"]["url"] for e in entries}:
                raise UsageError(f"{PREFIX}: {url} is not in {opts.har}", print_help=False)
            status |= self._add_case(spider, url, folder, entries, opts, served)
        return status

    def _add_case(self, spider: str, url: str, folder: Path, entries: list | None, opts: Any,
                  served: dt.datetime | None = None) -> int:
        """Build the case in a hidden folder beside its place; publish it only when complete."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
        work.chmod(0o755)
        try:
            cassette = work / "cassette.yaml.gz"
            if served is not None:
                import_page(opts.html, url, served, cassette)
            elif entries is not None:
                import_har(opts.har, cassette, Scrubber.from_settings(self.settings), har_chain(entries, url))
                ensure_robots(cassette, url)
            else:
                recorded = self._crawl(spider, url, cassette, "new_episodes")
                if recorded.returncode != 0:
                    report_failure(f"recording {url} failed (is there a network?)", recorded.log)
                    return 1
            if self._describe(spider, url, work, cassette, folder.name, getattr(opts, "note", None)):
                return 1
            if folder.exists():  # --force
                shutil.rmtree(folder)
            os.replace(work, folder)
            return 0
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _crawl(self, spider: str, url: str, cassette: Path, mode: str = "none") -> CrawlResult:
        with tempfile.TemporaryDirectory() as tmp:
            return run_crawl(Path(tmp), spider, "-s", f"VCR_RECORD_MODE={mode}", urls=[url], cassette=cassette)

    def _describe(self, spider: str, url: str, folder: Path, cassette: Path, name: str,
                  note: str | None = None) -> int:
        """Crawl the recorded page and write expected.json and meta.json from what the spider makes."""
        result = self._crawl(spider, url, cassette)
        record = result.by_url().get(url)
        failure = crawl_failure(result)
        if failure:
            report_failure(f"{url}: the crawl over {cassette} failed ({failure}); no case written", result.log)
            return 1
        if record is None:
            skipped = [k.rsplit("/", 1)[-1] for k in result.stats if k.startswith("broadsheet/pages/skipped/")]
            record = {"url": url, "removed": True, "reason": ",".join(skipped) or "no record"}
        record = compact(record)  # every field the page has, no empty value
        _write_json(folder / "expected.json", record)
        _write_json(folder / "meta.json", {
            "urls": [url],
            "reference_time": reference_time(cassette, url),
            "schema": record.get("record_schema") or result.stats.get("broadsheet/schema"),
            **({"notes": note} if note else {}),
        })
        what = f"removed: {record['reason']}" if record.get("removed") else f"{len(record)} fields"
        print(f"{PREFIX}: {spider}/{name}: {cassette.name}, expected.json ({what}), meta.json")
        return 0

    # --- update ---------------------------------------------------------------------------

    def update(self, spider: str, opts: Any) -> int:
        """Diff every case against a fresh crawl; write with --write."""
        cases = [c for c in discover(FIXTURES, spider) if not opts.case or c.name == opts.case]
        if not cases:
            raise UsageError(f"no case for {spider!r}{' named ' + opts.case if opts.case else ''} under {FIXTURES}",
                             print_help=False)
        fields = [f.strip() for f in opts.fields.split(",")] if opts.fields else None
        changed = failed = 0
        for case in cases:
            outcome = self._update_case(case, fields, opts.write)
            failed += outcome is None
            changed += bool(outcome)
        verdict = "written" if opts.write else "not written (add --write)"
        print(f"{PREFIX}: {changed} of {len(cases)} cases differ" + (f"; {verdict}" if changed else "")
              + (f"; {failed} could not be crawled, nothing written for them" if failed else ""))
        return 1 if failed or (changed and not opts.write) else 0

    def _update_case(self, case: Case, fields: list[str] | None, write: bool) -> bool | None:
        """Whether the case differs (None: its crawl failed, and its truth file is left alone)."""
        url = case.meta["urls"][0]
        result = self._crawl(case.spider, url, case.cassette)
        failure = crawl_failure(result)
        if failure:
            report_failure(f"{case.id}: the crawl over {case.cassette} failed ({failure}); "
                           f"{case.folder / 'expected.json'} left as it was", result.log)
            return None
        record = result.by_url().get(url)
        record = compact(record) if record is not None else {"url": url, "removed": True}
        expected = dict(case.expected)
        if record.get("removed") and "reason" in expected:
            record["reason"] = expected["reason"]
        names = fields or list(dict.fromkeys([*expected, *record]))
        diffs = []
        for name in names:
            old, new = expected.get(name), record.get(name)
            if old != new:
                diff = difflib.unified_diff(_dump(old), _dump(new), f"expected {name}", f"got {name}", lineterm="")
                diffs.append("\n".join(diff))
                if new is None:
                    expected.pop(name, None)
                else:
                    expected[name] = new
        if not diffs:
            return False
        print(f"--- {case.id}: {url}")
        print("\n".join(diffs))
        if write:
            _write_json(case.folder / "expected.json", expected)
        return True
