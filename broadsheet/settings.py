"""Scrapy settings of the Broadsheet project (``scrapy.cfg`` points here).

Every component is wired here by name; each reads its own settings in ``from_crawler``.
"""

import os
from pathlib import Path

BOT_NAME = "broadsheet"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
# A schema the registry refuses stops the spiders loading: one line and exit 2, not a traceback.
SPIDER_LOADER_CLASS = "broadsheet.commands.spiderloader.ProjectSpiderLoader"
COMMANDS_MODULE = "broadsheet.commands"
# `scrapy genspider -t news NAME DOMAIN` writes a site spider on the base (broadsheet/templates/spiders/news.tmpl).
TEMPLATES_DIR = str(Path(__file__).resolve().parent / "templates")

ROBOTSTXT_OBEY = True
USER_AGENT = "Broadsheet/0.1 (news article datasets; Scrapy)"
CONCURRENT_REQUESTS_PER_DOMAIN = 8
# Scrapy starts this many worker tasks for every response's output, whatever it holds: an article page yields one
# item, and the pipelines here are synchronous, so 100 (Scrapy's default) bought nothing and cost 0.35 ms a page
# (the do-nothing bench spider 1.10 to 0.74 ms a page, mitrade 2.71 to 2.25). 16 leaves room for async pipelines.
CONCURRENT_ITEMS = 16
AUTOTHROTTLE_ENABLED = True
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
LOG_FORMATTER = "broadsheet.logs.formatter.ItemlessLogFormatter"  # no item reprs in logs
LOGSTATS_INTERVAL = 30.0  # a progress line (URLs, outcomes, pages/min) every 30 s of a long crawl
TELNETCONSOLE_ENABLED = False
# Likewise Scrapy's remote control: an HTTP server running posted code, and a job file in the user's
# home for every crawl (left behind by a killed one).
REMOTE_CONTROL_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"

# Scrapy's cookie middleware builds a tldextract at import time; offline it must use the bundled
# public suffix snapshot instead of fetching the list (an empty URL list disables the fetch).
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

# Downloader middlewares (broadsheet/middlewares/): Scrapy's offsite filter replaced by one that
# accounts for what it filters; bodies re-decoded when they are not in the charset they declare
# (after decompression at 590, before the meta-refresh check at 580 reads the text); article pages
# read in extraction workers, when EXTRACTION_WORKERS is set.
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "broadsheet.middlewares.offsite.AccountedOffsiteMiddleware": 50,
    "broadsheet.middlewares.charset.CharsetMiddleware": 585,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "broadsheet.middlewares.metarefresh.ByteScanMetaRefreshMiddleware": 580,  # Scrapy's, without decoding each page
    "broadsheet.middlewares.extraction.ExtractionWorkers": 10,  # the last to see a response: its final form
}
# Article pages read in this many forked worker processes (0: in the crawl's own process), so that a CPU-bound
# crawl uses more than one core (broadsheet/middlewares/extraction.py); "auto": one a core, none on one core.
EXTRACTION_WORKERS = 0

# Recorded traffic: every network request (http, https, ftp, s3) goes through the VCR handler, which replays from
# VCR_CASSETTE (a spider may default it to its own fixture) or, when empty, downloads.
DOWNLOAD_HANDLERS = {
    "http": "broadsheet.recording.handler.VCRDownloadHandler",
    "https": "broadsheet.recording.handler.VCRDownloadHandler",
    "ftp": "broadsheet.recording.handler.VCRDownloadHandler",
    "s3": "broadsheet.recording.handler.VCRDownloadHandler",
}
VCR_CASSETTE = ""
VCR_RECORD_MODE = ""

ITEM_PIPELINES = {
    "pipelines.dedup.DeduplicationPipeline": 100,
    "pipelines.validation.SchemaValidationPipeline": 300,
    "pipelines.revisions.RevisionPipeline": 400,
    "pipelines.dataset.DatasetPipeline": 800,
    "pipelines.table.TablePipeline": 850,
}
# The registered schema every item is validated against: subject[@version], newest by default.
SCHEMA = "article"
QUARANTINE_URI = ""  # default: beside the first local feed, <feed>.quarantine.jsonl
QUARANTINE_MAX_SHARE = 0.1

EXTENSIONS = {
    "scrapy.extensions.logstats.LogStats": None,  # replaced by our progress line, told in outcomes
    "broadsheet.extensions.progress.Progress": 0,
    # Before Scrapy's FeedExporter (0): the crawl state is prepared before any feed is published.
    "broadsheet.extensions.crawl_state.CrawlStateExtension": -500,
    # First: settings, the cassette and the schema are checked before anything opens (exit 2).
    "broadsheet.extensions.preflight.Preflight": -1000,
    # Every requested URL ends in one outcome (broadsheet/pages/...); the close summary.
    "broadsheet.extensions.outcomes.PageOutcomes": 400,
    "broadsheet.extensions.field_coverage.FieldCoverage": 500,
    "broadsheet.extensions.monitor.RunMonitor": 850,
    # Last: spider_closed handlers run in this order, and the report must see every stat.
    "broadsheet.extensions.stats_report.StatsReport": 900,
    "broadsheet.extensions.gc_freeze.GcFreeze": 1000,
    # Scrapy's per-response check that a generator callback returns no value, run once at open instead.
    "broadsheet.extensions.callback_check.GeneratorReturnCheck": 0,
}
WARN_ON_GENERATOR_RETURN_VALUE = False  # checked once per spider by GeneratorReturnCheck (about 0.4 ms a page)
GC_FREEZE = True  # objects alive when the spider opens are left out of cycle collections
FAILURE_MAX_SHARE = 0.1  # share of requested URLs that may fail before the crawl fails (exit 1)
# Field coverage (broadsheet/extensions/field_coverage.py): per-field minimum shares; spiders add their own.
FIELD_COVERAGE_ENABLED = True
FIELD_COVERAGE_URI = ""  # default: beside the first local feed, <feed>.coverage.json
FIELD_COVERAGE_MIN = {"headline": 1.0, "body": 1.0}
# Fallback body extractor (broadsheet/extract/body_fallback.py): a callable of the response, asked when a
# record's quality is below BODY_FALLBACK_BELOW or it has no body; "" = off (measured: not worth its time),
# e.g. "broadsheet.extract.body_fallback.trafilatura_body" (pip install ".[bench]").
BODY_FALLBACK = ""
BODY_FALLBACK_BELOW = 0.6
STATS_REPORT_URI = ""
PREFLIGHT_ENABLED = True
# Run-over-run monitoring (broadsheet/extensions/monitor.py, broadsheet/monitoring/): every crawl's record,
# drift checks against the good runs before it, an HTML report; alerts only when configured.
HISTORY_ENABLED = True
# Default: .scrapy/history/<spider>/ in the project (git-ignored); %(name)s = spider. The environment
# variable BROADSHEET_HISTORY_URI moves the default (the test suite points it at a temporary folder).
HISTORY_URI = os.environ.get("BROADSHEET_HISTORY_URI", "")
HISTORY_MIN_RUNS = 3  # good runs of the same job before drift is judged
HISTORY_WINDOW = 10  # the last N good runs give the usual range
HISTORY_KEEP = 100  # runs kept per spider (older records and reports are removed)
MONITOR_RULES = {}  # overrides of broadsheet/monitoring/rules.py DEFAULT_RULES; spiders: monitor_rules
MONITOR_REPORT_ENABLED = True
ALERT_ON = "warn"  # alert on "warn" (warnings and failures) or only on "fail"
ALERT_WEBHOOK_URL = ""  # Slack-compatible incoming webhook
ALERT_EMAIL_TO = []
ALERT_EMAIL_FROM = "broadsheet@localhost"
ALERT_SMTP_HOST = "localhost"
ALERT_SMTP_PORT = 25

# Datasets: typed Parquet and fast JSON Lines, written atomically (temporary name, then rename).
FEED_EXPORTERS = {
    "jsonl": "broadsheet.exporters.jsonl.OrjsonLinesItemExporter",
    "jsonlines": "broadsheet.exporters.jsonl.OrjsonLinesItemExporter",
    "parquet": "broadsheet.exporters.parquet.ParquetItemExporter",
}
FEED_STORAGES = {
    "": "broadsheet.storage.atomic.AtomicFileFeedStorage",
    "file": "broadsheet.storage.atomic.AtomicFileFeedStorage",
}
PARQUET_ROW_GROUP_SIZE = 10_000
PARQUET_COMPRESSION = "zstd"
DATASET_URI = ""  # a folder: write a Hive-partitioned Parquet dataset there (pipelines/dataset.py)
DATASET_ROWS_PER_FILE = 1_000_000

# Incremental crawls (broadsheet/state/, broadsheet/extensions/crawl_state.py): a folder keeping what
# earlier runs saw (%(name)s = spider; e.g. .scrapy/state/%(name)s). Empty: every crawl is a full one.
CRAWL_STATE = ""
CRAWL_RECHECK_MAX = 3  # stories without any change signal re-checked per run, at most
CRAWL_RECHECK_DAYS = 2  # ... among those published this recently
SITEMAP_RECHECK_MAX = 1  # sitemap files re-read per run although their index <lastmod> did not change
REMOVALS_URI = ""  # default: beside the first local feed, <feed>.removals.jsonl
TABLE_URI = ""  # a folder (SQLite SQL catalog) or a catalog URL: commit to an Iceberg table (pipelines/table.py)
TABLE_NAME = "broadsheet.articles"
CRAWL_ID = ""  # default: a new id per crawl; the workers of one shared crawl may share one

# Shared crawl (broadsheet/frontier/): REDIS_URL turns this crawl into one worker of many; the
# add-on wires the shared scheduler and politeness only then.
ADDONS = {"broadsheet.frontier.addon.SharedFrontier": 0}
REDIS_URL = ""
FRONTIER_WORKER_TIMEOUT = 30  # seconds without a heartbeat after which a worker's requests return to the queue
FRONTIER_POLL_INTERVAL = 0.2  # seconds between polls of the shared queue when it is empty
