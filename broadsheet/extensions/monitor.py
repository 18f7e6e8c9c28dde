"""Run-over-run monitoring of every crawl: history, drift checks, the HTML report, alerts.

On by default, with nothing to set up (``HISTORY_ENABLED = False`` switches it off):

1. When the crawl goes idle (everything downloaded and exported, the spider not yet closed),
   the run's numbers are judged against the last ``HISTORY_WINDOW`` (10) good runs of the same
   job (same spider arguments and ``CRAWL_STATE``) in the history, once ``HISTORY_MIN_RUNS`` (3) exist; the rules
   are in ``broadsheet.monitoring.rules``, changed by ``MONITOR_RULES`` and a spider's
   ``monitor_rules``. Each finding is one log line (ERROR for ``fail``, WARNING for ``warn``); a
   ``fail`` finding closes the spider with reason ``failed_drift``, so ``scrapy crawl`` exits 1.
   Judging at idle, like the other quality gates, is what lets the verdict set the close reason.
2. When the engine has stopped (feeds, quarantine and coverage report all written), the run's
   record goes to the history (``HISTORY_URI``, default ``.scrapy/history/<spider>/``), its
   HTML report and the index beside it (``MONITOR_REPORT_ENABLED``), and alerts go out if
   configured (``broadsheet.monitoring.alerts``).

The verdict is in the stats too: ``broadsheet/monitor/verdict`` (``ok``, ``warn``, ``fail``,
``learning`` before enough runs, ``unjudged`` for a crawl that never went idle).
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured

from broadsheet.extensions.field_coverage import FieldCoverage
from broadsheet.extensions.gates import connect_gate
from broadsheet.monitoring.history import DEFAULT_JOB, History, build_record, history_folder
from broadsheet.monitoring.rules import INCREMENTAL_RULES, Finding, judge, resolve_rules

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

FAILED_DRIFT = "failed_drift"  # "failed_*" reasons make `scrapy crawl` exit 1


def job_of(args: dict[str, Any]) -> str:
    """The job a crawl belongs to: ``default`` without spider arguments, else a short hash of them."""
    if not args:
        return DEFAULT_JOB
    digest = hashlib.sha1(json.dumps(args, sort_keys=True, default=str).encode()).hexdigest()[:10]
    return f"args-{digest}"


def _int_setting(settings: Any, name: str, default: int) -> int:
    try:
        value = int(settings.get(name, default))
    except (TypeError, ValueError):
        value = -1
    if value < 0:
        raise ValueError(f"{name}={settings.get(name)!r}: give a whole number, 0 or more")
    return value


class RunMonitor:
    """Judges the crawl against its history at idle; records and reports it at the end."""

    def __init__(self, crawler: Crawler, history: History, *, window: int, min_runs: int,
                 rules: dict[str, dict[str, Any]], report: bool):
        from broadsheet.monitoring.alerts import AlertSettings

        self.crawler = crawler
        self.history = history
        self.window = window
        self.min_runs = min_runs
        self.rules = rules
        self.report = report
        self.alerts = AlertSettings.from_settings(crawler.settings)
        self.job_args = dict(crawler.settings.getdict("HISTORY_JOB_ARGS"))
        if crawler.settings.get("CRAWL_STATE"):  # incremental runs are compared with incremental runs only
            self.job_args["CRAWL_STATE"] = str(crawler.settings.get("CRAWL_STATE"))
        self.job = job_of(self.job_args)
        self.findings: list[Finding] | None = None  # None: not judged yet
        self.baseline_runs = 0
        self._logged: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunMonitor:
        """Reads ``HISTORY_*``, ``MONITOR_*`` and ``ALERT_*``; a bad value names its setting."""
        settings = crawler.settings
        if not settings.getbool("HISTORY_ENABLED", True):
            raise NotConfigured("HISTORY_ENABLED is off: no run history, drift checks or report")
        try:
            rules = resolve_rules(INCREMENTAL_RULES if settings.get("CRAWL_STATE") else {},
                                  settings.getdict("MONITOR_RULES"), getattr(crawler.spidercls, "monitor_rules", {}))
        except ValueError as exc:
            raise ValueError(f"MONITOR_RULES / {crawler.spidercls.__name__}.monitor_rules: {exc}") from exc
        folder = history_folder(settings.get("HISTORY_URI"), crawler.spidercls.name)
        monitor = cls(crawler, History(folder, _int_setting(settings, "HISTORY_KEEP", 100)),
                      window=_int_setting(settings, "HISTORY_WINDOW", 10),
                      min_runs=max(1, _int_setting(settings, "HISTORY_MIN_RUNS", 3)),
                      rules=rules, report=settings.getbool("MONITOR_REPORT_ENABLED", True))
        connect_gate(crawler, monitor.spider_idle)
        crawler.signals.connect(monitor.engine_stopped, signal=signals.engine_stopped)
        return monitor

    def _record(self, coverage: dict[str, float] | None = None) -> dict[str, Any]:
        spider = self.crawler.spider
        return build_record(self.crawler.stats.get_stats(), spider=spider.name, job=self.job,
                            job_args=self.job_args, coverage=coverage, outputs=self._outputs(spider))

    def _outputs(self, spider: Spider) -> dict[str, Any]:
        from pipelines.validation import SchemaValidationPipeline

        feeds = [str(Path(str(uri) % {"name": spider.name}).resolve()) for uri in self.crawler.settings.getdict("FEEDS")
                 if "://" not in str(uri)]
        outputs: dict[str, Any] = {"feeds": feeds}
        coverage = self.crawler.get_extension(FieldCoverage)
        if coverage is not None and (path := coverage.report_path(spider)) is not None:
            outputs["coverage"] = str(path.resolve())
        try:
            validation = self.crawler.get_item_pipeline(SchemaValidationPipeline)
        except RuntimeError:  # no engine: the crawl never started
            validation = None
        if validation is not None and validation.quarantine is not None:
            outputs["quarantine"] = str(validation.quarantine.path.resolve())
        return outputs

    def spider_idle(self, spider: Spider) -> None:
        """Judge the run; close it with ``failed_drift`` when a ``fail`` rule is broken."""
        coverage = self.crawler.get_extension(FieldCoverage)
        shares = {k: round(v, 4) for k, v in coverage.shares().items()} if coverage and coverage.items else {}
        record = self._record(shares)
        baseline = self.history.baseline(self.job, self.window, before=record["run_id"])
        self.baseline_runs = len(baseline)
        self.findings = judge(record, baseline, self.min_runs, self.rules)
        stats = self.crawler.stats
        stats.set_value("broadsheet/monitor/verdict", self.verdict())
        stats.set_value("broadsheet/monitor/baseline_runs", self.baseline_runs)
        stats.set_value("broadsheet/monitor/findings", len(self.findings))
        if len(baseline) < self.min_runs:
            self._log_once(logging.INFO, f"Drift not judged yet: {len(baseline)} good run(s) of job {self.job} "
                           f"in {self.history.folder}, {self.min_runs} needed (HISTORY_MIN_RUNS)")
        for finding in self.findings:
            self._log_once(logging.ERROR if finding.level == "fail" else logging.WARNING, finding.message())
        if any(f.level == "fail" for f in self.findings):
            raise CloseSpider(FAILED_DRIFT)

    def _log_once(self, level: int, message: str) -> None:
        if message not in self._logged:  # idle can come more than once
            self._logged.add(message)
            logger.log(level, "%(message)s", {"message": message})

    def verdict(self) -> str:
        """``unjudged``, ``learning``, ``fail``, ``warn`` or ``ok``."""
        if self.findings is None:
            return "unjudged"
        if self.baseline_runs < self.min_runs:
            return "learning"
        levels = {f.level for f in self.findings}
        return "fail" if "fail" in levels else "warn" if "warn" in levels else "ok"

    def engine_stopped(self) -> None:
        """Store the run's record, write its report and the index, send alerts."""
        from broadsheet.monitoring.alerts import send_alerts
        from broadsheet.monitoring.report import write_reports

        record = self._record()
        record.update(verdict=self.verdict(), findings=[f.as_dict() for f in self.findings or []],
                      baseline_runs=self.baseline_runs, min_runs=self.min_runs)
        try:
            path = self.history.write(record)
            report = write_reports(self.history, record["spider"], record) if self.report else None
        except OSError as exc:
            logger.error("Run history not written to %(folder)s (HISTORY_URI): %(error)s",
                         {"folder": self.history.folder, "error": exc})
            return
        logger.info("Run %(run)s (%(verdict)s) recorded in %(path)s%(report)s",
                    {"run": record["run_id"], "verdict": record["verdict"], "path": path,
                     "report": f"; report: {report}" if report else ""})
        send_alerts(self.alerts, record, str(report) if report else None)
