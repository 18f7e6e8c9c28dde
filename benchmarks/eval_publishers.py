"""Each publisher's regression cases against the public corpora's ground truth.

    python benchmarks/eval_publishers.py ../shared/corpora

A case made from a corpus page names it in ``meta.json`` (``notes``: "from ../shared/corpora/<corpus>/<page>").
Its expected record (what the spider makes, which the tests hold it to) is scored against that
page's ``expected.json`` with ``eval_corpora``'s rules (headline, authors, date, body token F1 >= 0.9
or the truth's prefix), and printed per site with its cases, layouts and spider code lines.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from eval_corpora import score  # noqa: E402

from broadsheet.testing.cases import discover  # noqa: E402
from broadsheet.testing.publishers import code_lines  # noqa: E402


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", type=Path)
    args = parser.parse_args()
    print("| site | cases | layouts | code lines | fields right | wrong |\n|---|---|---|---|---|---|")
    total = Counter()
    for module in sorted(p for p in (ROOT / "spiders").glob("[!_]*.py") if p.stem not in ("article", "mitrade")):
        right, checked, wrong = 0, 0, []
        cases = discover(ROOT / "fixtures", module.stem)
        for case in cases:
            found = re.search(r"from \.\./shared/corpora/(\S+?);", case.meta.get("notes", ""))
            if not found:
                continue
            truth = json.loads((args.corpora / found.group(1) / "expected.json").read_text(encoding="utf-8"))
            record = {**case.expected, "date": case.expected.get("date_published")
                      or case.expected.get("publication_date")}
            for field, ok in score(record, truth).items():
                if field.startswith("_"):
                    continue
                checked += 1
                right += ok
                if not ok:
                    wrong.append(f"{case.name}:{field}")
        layouts = len(re.findall(r"\(Layout\):", module.read_text(encoding="utf-8"))) or 1
        total.update(right=right, checked=checked)
        share = f"{right}/{checked} ({100 * right / checked:.0f}%)" if checked else "-"
        print(f"| {module.stem} | {len(cases)} | {layouts} | {code_lines(module)} | {share} | {', '.join(wrong)} |")
    share = 100 * total["right"] / max(total["checked"], 1)
    print(f"| all | | | | {total['right']}/{total['checked']} ({share:.0f}%) | |")


if __name__ == "__main__":
    main()
