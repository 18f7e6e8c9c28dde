"""Each publisher against the public corpora's ground truth: its cases, and its pages no case holds.

    python benchmarks/eval_publishers.py ../shared/corpora

A case made from a corpus page names it in ``meta.json`` (``notes``: "from ../shared/corpora/<corpus>/<page>").
Its expected record (what the spider makes, which the tests hold it to) is scored against that
page's ``expected.json`` with ``eval_corpora``'s rules (headline, authors, date, body token F1 >= 0.9
or the truth's prefix). Every other corpus page of the site's domains (by the truth's URL, else the
page's canonical link) is read by the spider as it would be served at its estimated reference time
(fundus's crawl date, the day after the truth's date, November 2019 for the scrapinghub benchmark
which was collected then, else the day after the date the page states), so its dated layout is
the page's era, and scored the same way: the ``unseen`` column is what the spider gets right on
pages nobody wrote it for.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import re
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from eval_corpora import score  # noqa: E402

from broadsheet.testing.cases import discover  # noqa: E402
from broadsheet.testing.publishers import code_lines, spider_classes  # noqa: E402

CANONICAL = re.compile(rb'<link[^>]+rel="?canonical"?[^>]+href="([^"]+)"|<link[^>]+href="([^"]+)"[^>]+rel="?canonical')
COLLECTED = dt.datetime(2019, 11, 20, 12, tzinfo=dt.UTC)
"""When the scrapinghub benchmark's pages were saved (their truth gives no date)."""


def page_url(folder: Path, truth: dict, html: bytes) -> str | None:
    """The page's URL: the truth's, else its canonical link."""
    if str(truth.get("url", "")).startswith("http"):
        return truth["url"]
    found = CANONICAL.search(html[:400_000])
    return (found.group(1) or found.group(2)).decode("utf-8", "replace") if found else None


def day_after(day: str | None) -> dt.datetime | None:
    """Noon UTC of the day after ``YYYY-MM-DD...``, or None."""
    if not re.match(r"\d{4}-\d\d-\d\d", str(day or "")):
        return None
    return dt.datetime.fromisoformat(str(day)[:10]).replace(tzinfo=dt.UTC) + dt.timedelta(days=1, hours=12)


def served_at(truth: dict, corpus: str, spider: type, url: str, html: bytes) -> dt.datetime:
    """The page's estimated reference time (see the module docstring)."""
    crawled = (truth.get("_extra") or {}).get("crawl_date")
    if crawled:
        return dt.datetime.fromisoformat(crawled[:19]).replace(tzinfo=dt.UTC)
    if day_after(truth.get("datePublished")) or corpus == "aeb_scrapinghub":
        return day_after(truth.get("datePublished")) or COLLECTED
    stated = read(spider, url, html, COLLECTED)
    return day_after(stated.get("date_modified") or stated.get("date_published")
                     or stated.get("publication_date")) or COLLECTED


def read(spider: type, url: str, html: bytes, served: dt.datetime) -> dict:
    """The record the spider's extraction makes of the page served at ``served``."""
    from email.utils import format_datetime

    from scrapy.http import HtmlResponse

    from broadsheet.extract.explain import explain

    response = HtmlResponse(url, body=html, headers={"Date": format_datetime(served, usegmt=True),
                                                     "Content-Type": "text/html"})
    return explain(spider(), response)[1]


def checked(record: dict, truth: dict) -> dict[str, float]:
    """``score``'s checks of a record (its date: the instant, else the day; its authors: the people, else
    the organisations named as author, since the truths do not tell them apart: "BBC News", "ndr.de")."""
    found = score({**record, "date": record.get("date_published") or record.get("publication_date"),
                   "authors": record.get("authors") or record.get("author_organisations")}, truth)
    return {field: ok for field, ok in found.items() if not field.startswith("_")}


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", type=Path)
    args = parser.parse_args()
    spiders = [s for s in spider_classes() if s.name not in ("article", "mitrade")]
    pages: dict[str, list[tuple[str, str, dict, bytes]]] = {s.name: [] for s in spiders}
    for path in sorted(args.corpora.glob("*/*/page.html.gz")):
        truth = json.loads((path.parent / "expected.json").read_text(encoding="utf-8"))
        html = gzip.decompress(path.read_bytes())
        url = page_url(path.parent, truth, html)
        host = urlsplit(url).netloc.lower() if url else ""
        for spider in spiders:
            if host in spider.allowed_domains:
                pages[spider.name].append((f"{path.parent.parent.name}/{path.parent.name}", url, truth, html))
    print("| site | corpus pages | cases | layouts | code lines | fields right (cases) | fields right (unseen) "
          "| wrong on unseen pages |\n|---|---|---|---|---|---|---|---|")
    total = Counter()
    for spider in spiders:
        cases = discover(ROOT / "fixtures", spider.name)
        in_cases = {m.group(1) for c in cases if (m := re.search(r"from \.\./shared/corpora/(\S+?)[;\s]",
                                                                   c.meta.get("notes", "") + " "))}
        case_checks = [ok for c in cases if (m := re.search(r"from \.\./shared/corpora/(\S+?)[;\s]",
                                                              c.meta.get("notes", "") + " "))
                       for ok in checked(c.expected, json.loads(
                           (args.corpora / m.group(1) / "expected.json").read_text(encoding="utf-8"))).values()]
        unseen, wrong = [], []
        for page_id, url, truth, html in pages[spider.name]:
            if page_id in in_cases:
                continue
            served = served_at(truth, page_id.split("/", 1)[0], spider, url, html)
            for field, ok in checked(read(spider, url, html, served), truth).items():
                unseen.append(ok)
                if not ok:
                    wrong.append(f"{page_id.split('/', 1)[1]}:{field}")
        module = ROOT / "spiders" / f"{spider.__module__.rsplit('.', 1)[-1]}.py"
        total.update(case_right=sum(case_checks), case_checked=len(case_checks), right=sum(unseen),
                     checked=len(unseen))
        print(f"| {spider.name} | {len(pages[spider.name])} | {len(cases)} | {len(spider.layouts) or 1} "
              f"| {code_lines(module)} | {share(case_checks)} | {share(unseen)} | {', '.join(wrong)} |")
    print(f"| all | | | | | {share_of(total['case_right'], total['case_checked'])} "
          f"| {share_of(total['right'], total['checked'])} | |")


def share(oks: list) -> str:
    """``right/checked (N%)``, or ``-`` when nothing was checked."""
    return share_of(sum(oks), len(oks))


def share_of(right: int, count: int) -> str:
    """``right/count (N%)``, or ``-``."""
    return f"{right}/{count} ({100 * right / count:.0f}%)" if count else "-"


if __name__ == "__main__":
    main()
