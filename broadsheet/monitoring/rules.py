"""The rules that judge a crawl against the good runs before it.

Each rule watches one kind of metric of the run record, over the last ``HISTORY_WINDOW`` good
runs of the same job (same spider arguments), once at least ``HISTORY_MIN_RUNS`` of them exist:

==========  =========================================  =====  =========  ===  =====================
rule        metric                                     level  direction  k    floor
==========  =========================================  =====  =========  ===  =====================
items       exported items                             fail   down       3    20% of the median
coverage    each field's coverage share (nested too)   fail   down       3    0.05 (5 points)
outcome     each outcome's share of all pages          warn   both       3    0.10 (10 points)
source      each field's winning source                warn   (changed from the usual one)
==========  =========================================  =====  =========  ===  =====================

The usual range is ``median ± max(k · spread, floor)``, spread being the scaled median absolute
deviation (1.4826 · MAD, a standard deviation for normal data that one outlier does not move).
A number outside it, in the rule's direction, is a finding at the rule's level: ``fail``
fails the crawl (close reason ``failed_drift``, exit 1), ``warn`` logs a warning, ``off``
ignores the metric.

``MONITOR_RULES`` (a setting) and a spider's ``monitor_rules`` class attribute change any of
``level``, ``direction``, ``k``, ``floor`` for a kind (``"coverage"``) or one metric
(``"coverage/related.author"``, ``"outcome/skipped/http_404"``, ``"source/image"``); the
spider's own word wins.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from broadsheet.monitoring.history import winner

LEVELS = ("fail", "warn", "off")
DIRECTIONS = ("down", "up", "both")
MAD_SCALE = 1.4826  # MAD -> standard deviation for normally distributed numbers


@dataclass(frozen=True)
class Rule:
    """How one kind of metric is judged."""

    level: str = "fail"
    direction: str = "down"
    k: float = 3.0
    floor: float = 0.05
    relative: bool = False  # floor is a share of the median (counts), not an absolute amount (shares)


DEFAULT_RULES: dict[str, Rule] = {
    "items": Rule(level="fail", direction="down", k=3.0, floor=0.2, relative=True),
    "coverage": Rule(level="fail", direction="down", k=3.0, floor=0.05),
    "outcome": Rule(level="warn", direction="both", k=3.0, floor=0.1),
    "source": Rule(level="warn"),
}

INCREMENTAL_RULES: dict[str, dict[str, Any]] = {"items": {"level": "off"}, "outcome": {"level": "off"}}
"""Under ``CRAWL_STATE`` a run exports what is new or revised since the last one: how many items
and what share of pages that is says how much news there was, not how well the crawl read the
site, so those rules are off (``MONITOR_RULES`` can turn them back on); coverage and sources stay."""


@dataclass(frozen=True)
class Finding:
    """One metric out of its usual range: what, now, usual, and over how many runs."""

    metric: str
    level: str
    now: Any
    usual: Any
    low: float | None
    high: float | None
    runs: int

    @property
    def kind(self) -> str:
        """The rule's kind: ``coverage`` for ``coverage/image``."""
        return self.metric.split("/", 1)[0]

    @property
    def subject(self) -> str:
        """What the metric is about: ``image`` for ``coverage/image``."""
        return self.metric.split("/", 1)[-1]

    def message(self) -> str:
        """One line: field, now, usual, runs compared, and the consequence."""
        consequence = "the crawl fails (failed_drift)" if self.level == "fail" else "warning"
        if self.kind == "source":
            return (f"Drift: {self.subject} came from {self.now or 'no source'}, usually from {self.usual} "
                    f"(last {self.runs} good runs): {consequence}")
        counts = self.kind == "items"
        show = _count if counts else _share
        low, high = (self.low, self.high) if counts else (max(self.low, 0.0), min(self.high, 1.0))
        what = {"items": "exported items", "coverage": f"{self.subject} coverage",
                "outcome": f"share of pages {self.subject}"}[self.kind]
        by = abs(self.now - self.usual)
        change = f"{_count(by)} {'fewer' if self.now < self.usual else 'more'}" if counts else \
            f"{by * 100:.1f} points {'down' if self.now < self.usual else 'up'}"
        return (f"Drift: {what} {show(self.now)} now, usual {show(self.usual)} (range {show(low)} to {show(high)}, "
                f"median of the last {self.runs} good runs): {change}; {consequence}")

    def as_dict(self) -> dict[str, Any]:
        """For the run record."""
        return {"metric": self.metric, "level": self.level, "now": self.now, "usual": self.usual,
                "low": self.low, "high": self.high, "runs": self.runs, "message": self.message()}


def _share(value: float | None) -> str:
    return "?" if value is None else f"{value:.1%}"


def _count(value: float | None) -> str:
    return "?" if value is None else f"{value:g}"


def resolve_rules(*overrides: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Merge rule overrides (later ones win) into one mapping ``kind or metric -> changes``;
    an unknown kind, option or value raises ValueError naming it."""
    merged: dict[str, dict[str, Any]] = {}
    names = {f.name for f in fields(Rule)}
    for override in overrides:
        for key, changes in (override or {}).items():
            if key.split("/", 1)[0] not in DEFAULT_RULES:
                raise ValueError(f"monitor rule {key!r}: the kinds are {', '.join(DEFAULT_RULES)} "
                                 "(optionally /<field> or /<outcome>)")
            if not isinstance(changes, Mapping) or set(changes) - names:
                raise ValueError(f"monitor rule {key!r}: give a mapping of {', '.join(sorted(names))}, "
                                 f"not {changes!r}")
            if changes.get("level", "fail") not in LEVELS or changes.get("direction", "down") not in DIRECTIONS:
                raise ValueError(f"monitor rule {key!r}: level is one of {LEVELS}, direction one of {DIRECTIONS}")
            merged.setdefault(key, {}).update(changes)
    return merged


def rule_for(metric: str, overrides: Mapping[str, Mapping[str, Any]]) -> Rule:
    """The rule of ``metric``: the kind's default, the kind's override, then the metric's own."""
    kind = metric.split("/", 1)[0]
    rule = replace(DEFAULT_RULES[kind], **overrides.get(kind, {}))
    return replace(rule, **overrides.get(metric, {})) if metric != kind else rule


def metrics(record: Mapping[str, Any]) -> dict[str, Any]:
    """The judged numbers of a record: ``items``, ``coverage/<field>``, ``outcome/<name>`` (share
    of all pages) and ``source/<field>`` (the winning source's name)."""
    result: dict[str, Any] = {"items": record.get("items", 0)}
    for field, share in record.get("coverage", {}).items():
        result[f"coverage/{field}"] = share
    outcomes = record.get("outcomes", {})
    total = sum(outcomes.values())
    for name, count in outcomes.items():
        result[f"outcome/{name}"] = count / total if total else 0.0
    for field, counts in record.get("sources", {}).items():
        result[f"source/{field}"] = winner(counts)
    return result


def usual_range(values: list[float], rule: Rule) -> tuple[float, float, float]:
    """``(median, low, high)`` of ``values`` under ``rule``."""
    median = statistics.median(values)
    spread = MAD_SCALE * statistics.median(abs(v - median) for v in values)
    tolerance = max(rule.k * spread, rule.floor * abs(median) if rule.relative else rule.floor)
    return median, median - tolerance, median + tolerance


def judge(record: Mapping[str, Any], baseline: list[Mapping[str, Any]], min_runs: int,
          overrides: Mapping[str, Mapping[str, Any]]) -> list[Finding]:
    """Findings of ``record`` against the good runs in ``baseline``; none until ``min_runs``.

    A metric is judged over the baseline runs that have it: outcomes and sources missing from a
    run count as 0 and as no source (the partition is complete); a field a run did not know (an
    older schema) is left out of that run.
    """
    if len(baseline) < min_runs:
        return []
    past = [metrics(r) for r in baseline]
    current = metrics(record)
    for gone in sorted({m for p in past for m in p if m.startswith("outcome/")} - set(current)):
        current[gone] = 0.0  # an outcome the past runs had and this one has not: share 0
    findings = []
    for metric, now in current.items():
        rule = rule_for(metric, overrides)
        if rule.level == "off":
            continue
        kind = metric.split("/", 1)[0]
        if kind == "source":
            seen = [m.get(metric) for m in past]
            usual, count = Counter(seen).most_common(1)[0]
            if count >= min_runs and usual is not None and now != usual:
                findings.append(Finding(metric, rule.level, now, usual, None, None, len(seen)))
            continue
        values = [m.get(metric, 0.0) for m in past] if kind == "outcome" else [m[metric] for m in past if metric in m]
        if len(values) < min_runs:
            continue
        median, low, high = usual_range(values, rule)
        if (now < low and rule.direction != "up") or (now > high and rule.direction != "down"):
            findings.append(Finding(metric, rule.level, now, median, low, high, len(values)))
    return findings
