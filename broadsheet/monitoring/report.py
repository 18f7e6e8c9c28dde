"""The HTML report of a run and the index across runs: single files, inline CSS and SVG.

No server and nothing from the internet: open ``<history>/<run id>.html`` or ``index.html``
in a browser. Rendered with Jinja2 from ``templates/``; charts are inline SVG sparklines.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from broadsheet.monitoring.history import History, is_good, winner
from broadsheet.monitoring.rules import metrics
from broadsheet.storage.files import write_text_atomically

EXAMPLES = 3  # quarantined records shown per report
EXAMPLE_CHARS = 600  # of each example's JSON


def sparkline(values: Sequence[float | None], *, top: float | None = None,
              width: int = 120, height: int = 22) -> Markup:
    """An inline SVG line of ``values`` (oldest first; None: a gap), the last point marked.
    ``top`` fixes the scale (1.0 for shares); else the largest value is the top."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if not points:
        return Markup("")
    scale = top if top is not None else max(v for _, v in points) or 1.0
    step = (width - 4) / max(len(values) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return 2 + i * step, height - 2 - (min(v, scale) / scale) * (height - 4)

    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in points))
    lx, ly = xy(*points[-1])
    return Markup(
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="history: {", ".join(f"{v:g}" for _, v in points)}">'
        f'<polyline fill="none" stroke="#4a6fa5" stroke-width="1.5" points="{coords}"/>'
        f'<circle cx="{lx:.1f}" cy="{ly:.1f}" r="2.5" fill="#1d3557"/></svg>')


OUTCOME_COLOURS = {"exported": "#2a9d8f", "quarantined": "#f4a261", "listing": "#457b9d", "skipped": "#adb5bd",
                   "failed": "#e63946"}


def outcome_bar(outcomes: Mapping[str, int], width: int = 1000, height: int = 18) -> Markup:
    """A stacked bar of the outcome partition, coloured by the outcome's first part."""
    total = sum(outcomes.values())
    if not total:
        return Markup("")
    x, parts = 0.0, []
    for name, count in outcomes.items():
        w = width * count / total
        colour = OUTCOME_COLOURS.get(name.split("/", 1)[0], "#f4a261")
        parts.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height}" fill="{colour}">'
                     f'<title>{Markup.escape(name)}: {count}</title></rect>')
        x += w
    return Markup(f'<svg class="bar" width="100%" height="{height}" preserveAspectRatio="none" '
                  f'viewBox="0 0 {width} {height}" role="img" aria-label="outcome partition">{"".join(parts)}</svg>')


def _environment() -> Environment:
    env = Environment(loader=PackageLoader(__package__, "templates"),  # a folder, or inside an egg (Scrapyd)
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = lambda v: "" if v is None else f"{v:.1%}"
    env.filters["secs"] = lambda v: "" if v is None else f"{v:.2f} s"
    env.globals.update(sparkline=sparkline, outcome_bar=outcome_bar, colour=OUTCOME_COLOURS)
    return env


def _uri(path: str | None) -> str | None:
    return Path(path).resolve().as_uri() if path else None


def quarantine_examples(path: str | None, limit: int = EXAMPLES) -> list[dict[str, Any]]:
    """The first ``limit`` quarantined entries (URL, errors, the item's JSON shortened)."""
    examples: list[dict[str, Any]] = []
    if not path or not Path(path).is_file():
        return examples
    with open(path, encoding="utf-8") as f:
        for line in f:
            if len(examples) >= limit:
                break
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            item = json.dumps(entry.get("item"), ensure_ascii=False)
            examples.append({"url": entry.get("url"), "errors": entry.get("errors", []),
                             "item": item[:EXAMPLE_CHARS] + ("…" if len(item) > EXAMPLE_CHARS else "")})
    return examples


def run_context(record: Mapping[str, Any], runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """What the run template shows: the record, and per metric its history over ``runs`` (the
    job's runs up to this one, oldest first) and its usual value from the findings."""
    same_job = [r for r in runs if r.get("job") == record.get("job") and r["run_id"] < record["run_id"]]
    history = [metrics(r) for r in [*same_job, record]]
    count = record.get("baseline_runs", 0)
    baseline = [metrics(r) for r in same_job if is_good(r)][-count:] if count else []

    def usual(metric: str) -> float | None:
        values = [m[metric] for m in baseline if metric in m]
        return statistics.median(values) if values else None

    findings = {f["metric"]: f for f in record.get("findings", [])}
    coverage = [{"field": field, "share": share, "finding": findings.get(f"coverage/{field}"),
                 "usual": usual(f"coverage/{field}"),
                 "spark": sparkline([m.get(f"coverage/{field}") for m in history], top=1.0)}
                for field, share in record.get("coverage", {}).items()]
    total = sum(record.get("outcomes", {}).values())
    outcomes = [{"name": name, "count": count, "share": count / total if total else 0.0,
                 "finding": findings.get(f"outcome/{name}"), "usual": usual(f"outcome/{name}"),
                 "spark": sparkline([m.get(f"outcome/{name}", 0.0) for m in history], top=1.0)}
                for name, count in record.get("outcomes", {}).items()]
    sources = [{"field": field, "counts": counts, "winner": winner(counts), "finding": findings.get(f"source/{field}"),
                "history": [m.get(f"source/{field}") for m in history]}
               for field, counts in record.get("sources", {}).items()]
    failures = {name.split("/", 1)[1]: count for name, count in record.get("outcomes", {}).items()
                if name.startswith("failed/")}
    outputs = record.get("outputs", {})
    links = [{"label": label, "path": path, "uri": _uri(path)}
             for label, paths in (("feed", outputs.get("feeds", [])), ("quarantine", [outputs.get("quarantine")]),
                                  ("coverage report", [outputs.get("coverage")]))
             for path in paths if path]
    return {"run": record, "coverage": coverage, "outcomes": outcomes, "sources": sources, "failures": failures,
            "examples": quarantine_examples(outputs.get("quarantine")), "links": links,
            "items_spark": sparkline([m["items"] for m in history]), "items_usual": usual("items")}


def render_run(record: Mapping[str, Any], runs: Sequence[Mapping[str, Any]]) -> str:
    """The HTML report of one run."""
    return _environment().get_template("run.html.j2").render(**run_context(record, runs))


def render_index(spider: str, runs: Sequence[Mapping[str, Any]]) -> str:
    """The index page: every kept run of the spider, newest first, with each job's item history."""
    jobs: dict[str, list[Mapping[str, Any]]] = {}
    for r in runs:
        jobs.setdefault(r.get("job", ""), []).append(r)
    trends = [{"job": job, "runs": len(rs), "spark": sparkline([r["items"] for r in rs]),
               "last": rs[-1]} for job, rs in jobs.items()]
    return _environment().get_template("index.html.j2").render(spider=spider, runs=list(reversed(runs)), trends=trends)


def write_reports(history: History, spider: str, record: Mapping[str, Any] | None = None) -> Path:
    """Write the report of ``record`` (every kept run's when None) and the index; returns the
    path of the last report written (the index when there was no run)."""
    runs = history.runs()
    last = history.folder / "index.html"
    for run in [record] if record is not None else runs:
        last = history.report_path(run["run_id"])
        write_text_atomically(last, render_run(run, runs))
    write_text_atomically(history.folder / "index.html", render_index(spider, runs))
    return last
