"""The progress line of a long crawl: URLs requested and their outcomes so far, in a real crawl."""

from __future__ import annotations

import re

LINE = re.compile(r"Progress: ([\d,]+) URLs, ([\d,]+) exported, ([\d,]+) quarantined, ([\d,]+) skipped, "
                  r"([\d,]+) failed \(([\d,]+) pages/min\)")


def test_the_progress_line_tells_urls_and_outcomes_every_interval(crawl):
    result = crawl("mitrade", "-s", "LOGSTATS_INTERVAL=0.25", "-s", "DOWNLOAD_DELAY=0.25",
                   "-s", "CONCURRENT_REQUESTS=1")
    assert result.returncode == 0
    lines = [[int(n.replace(",", "")) for n in match.groups()] for match in LINE.finditer(result.log)]
    assert len(lines) >= 4, result.log[-3000:]
    assert "Crawled " not in result.log, "Scrapy's own LogStats line is still on"
    for before, after in zip(lines, lines[1:], strict=False):
        assert all(a >= b for a, b in zip(after[:5], before[:5], strict=True)), (before, after)
    stats = result.stats
    final = [stats["broadsheet/requested"], stats["broadsheet/pages/exported"],
             stats.get("broadsheet/pages/quarantined", 0),
             sum(v for k, v in stats.items() if k.startswith("broadsheet/pages/skipped/")),
             sum(v for k, v in stats.items() if k.startswith("broadsheet/pages/failed/"))]
    assert all(n <= total for line in lines for n, total in zip(line[:5], final, strict=True))
    assert any(0 < line[1] < final[1] for line in lines), "no line while the crawl was exporting"
    assert any(line[5] > 0 for line in lines) and "responses_per_minute" in stats
