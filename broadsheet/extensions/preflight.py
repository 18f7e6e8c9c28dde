"""Preflight: every setting, the cassette and the schema are checked before the first request.

Built first of the extensions, while the crawler applies its settings (the spider and its
arguments already exist, no feed, quarantine or dataset file is open yet and no request has
been made). Each check raises ``BadInput`` whose message names the setting or file, says what
is wrong and what to do; ``scrapy crawl`` prints it as one line and exits 2, touching no output.
Spider arguments are checked where they are parsed, in the spider (``BadInput`` too).

The cassette opened here is the crawl's: the download handlers reuse it (loaded once).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured
from scrapy.utils.misc import load_object

from broadsheet.cores import is_auto
from broadsheet.errors import BadInput
from broadsheet.extract.body_fallback import load_fallback

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

    from schemas.registry import SchemaVersion

logger = logging.getLogger(__name__)

OFFLINE_SCHEMES = ("data", "file")  # schemes that never reach the network
SHARES = {  # setting -> what its share means
    "QUARANTINE_MAX_SHARE": "the share of invalid items above which the crawl fails (0.1 = 10%)",
    "FAILURE_MAX_SHARE": "the share of requested URLs that may fail before the crawl fails (0.1 = 10%)",
    "BODY_FALLBACK_BELOW": "the record quality below which BODY_FALLBACK is asked for the body (0.6)",
}
PARQUET_CODECS = ("zstd", "snappy", "gzip", "brotli", "lz4", "none")  # what pyarrow's Parquet writer takes
COUNT = (1, "give a whole number, 1 or more")
SIZE = (0, "give a whole number of bytes, 0 for no limit")
WHOLE_NUMBERS = {  # setting -> (its least value, what to give)
    "PARQUET_ROW_GROUP_SIZE": COUNT, "DATASET_ROWS_PER_FILE": COUNT,
    "DOWNLOAD_MAXSIZE": SIZE, "DOWNLOAD_WARNSIZE": SIZE,
    "EXTRACTION_WORKERS": (0, "give a whole number of worker processes, 0 to read pages in the crawl's process, "
                              "or auto (one a core)"),
}
PER_CORE = {"EXTRACTION_WORKERS"}
"""The whole-number settings that also take ``auto`` (one a core, ``broadsheet.cores``)."""


def share(name: str, value: Any, meaning: str) -> float:
    """``value`` as a share between 0 and 1, or ``BadInput`` naming ``name``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1.0
    if not 0 <= number <= 1:
        raise BadInput(f"{name}={value!r}: give a number between 0 and 1, {meaning}")
    return number


def check_numbers(crawler: Crawler, version: SchemaVersion | None) -> None:
    """Shares between 0 and 1, whole numbers at least their least (``WHOLE_NUMBERS``), a Parquet codec (one
    pyarrow has, when the crawl writes Parquet: pyarrow is not imported otherwise)."""
    settings = crawler.settings
    for name, meaning in SHARES.items():
        share(name, settings.get(name), meaning)
    for name, (least, advice) in WHOLE_NUMBERS.items():
        value = settings.get(name)
        if name in PER_CORE and is_auto(value):
            continue
        try:
            number = int(str(value).replace("_", ""))
        except ValueError:
            number = -1
        if number < least:
            raise BadInput(f"{name}={value!r}: {advice}")
    codec = str(settings.get("PARQUET_COMPRESSION"))
    if codec.lower() not in PARQUET_CODECS or (codec.lower() != "none" and writes_parquet(settings)
                                               and not _codec_available(codec)):
        raise BadInput(f"PARQUET_COMPRESSION={codec!r}: use one of zstd, snappy, gzip, brotli, lz4 or none")


def _codec_available(codec: str) -> bool:
    import pyarrow as pa

    try:
        return pa.Codec.is_available(codec)
    except ValueError:
        return False


def schema_fields(version: SchemaVersion) -> set[str]:
    """The field names a coverage minimum can name: top-level properties and ``parent.child``
    for the properties of objects inside a list (``related.url``)."""
    from schemas.registry import default_registry

    resolve = default_registry().resolver(version)
    properties = version.schema.get("properties", {})
    names = set(properties)
    for name, sub in properties.items():
        items = sub.get("items") if isinstance(sub, dict) else None
        while isinstance(items, dict) and "$ref" in items:
            items = resolve(items["$ref"], {})
        if isinstance(items, dict):
            names |= {f"{name}.{child}" for child in items.get("properties", {})}
    return names


def check_coverage(crawler: Crawler, version: SchemaVersion | None) -> None:
    """``FIELD_COVERAGE_MIN``: fields of the schema, each with a share between 0 and 1."""
    settings = crawler.settings
    if version is None or not settings.getbool("FIELD_COVERAGE_ENABLED", True):
        return
    try:
        minimums = settings.getdict("FIELD_COVERAGE_MIN")
    except ValueError as exc:
        raise BadInput(f"FIELD_COVERAGE_MIN={settings.get('FIELD_COVERAGE_MIN')!r}: give a JSON object "
                       'of field -> share, e.g. {"headline": 1.0}') from exc
    unknown = sorted(set(map(str, minimums)) - schema_fields(version))
    if unknown:
        raise BadInput(f"FIELD_COVERAGE_MIN names {unknown}, not fields of {version.ref}; use field names of "
                       "docs/data-dictionary.md (nested: related.url)")
    for name, value in minimums.items():
        share(f"FIELD_COVERAGE_MIN[{name!r}]", value, f"the least share of items with {name} filled")


def check_cassette(crawler: Crawler, version: SchemaVersion | None) -> None:
    """``VCR_CASSETTE`` opens (once: the download handlers reuse it), and with a cassette set no
    download handler reaches the network past it."""
    from broadsheet.recording.handler import VCRDownloadHandler, crawl_cassette

    if crawl_cassette(crawler) is None:
        return
    handlers = crawler.settings.getwithbase("DOWNLOAD_HANDLERS")
    for scheme, path in handlers.items():
        if path is None or scheme in OFFLINE_SCHEMES:
            continue
        handler = load_object(path)
        if not (isinstance(handler, type) and issubclass(handler, VCRDownloadHandler)):
            raise BadInput(f"DOWNLOAD_HANDLERS[{scheme!r}]={path!r} would download {scheme}: URLs past "
                           f"VCR_CASSETTE; set it to {VCRDownloadHandler.__module__}.VCRDownloadHandler "
                           "or None")


def writes_parquet(settings: BaseSettings) -> bool:
    """Whether the crawl writes Parquet: a Parquet feed or a dataset."""
    return bool(settings.get("DATASET_URI")) or any(
        str(options.get("format", "")) == "parquet" or str(uri).endswith(".parquet")
        for uri, options in settings.getdict("FEEDS").items())


def check_schema_types(crawler: Crawler, version: SchemaVersion | None) -> None:
    """The schema maps onto Arrow types when a Parquet feed or a dataset is written."""
    if version is None or not writes_parquet(crawler.settings):
        return
    from schemas.arrow import ArrowMappingError, arrow_schema
    from schemas.registry import default_registry

    try:
        arrow_schema(version, default_registry())
    except ArrowMappingError as exc:
        raise BadInput(f"SCHEMA={version.ref}: {version.path} has no Parquet types: {exc}") from exc


def check_fallback(crawler: Crawler, version: SchemaVersion | None) -> None:
    """``BODY_FALLBACK`` names an importable callable (or is empty)."""
    load_fallback(crawler.settings.get("BODY_FALLBACK") or "")


# settings of {import path: order}: Scrapy imports each of them at start anyway
COMPONENTS = ("EXTENSIONS", "ITEM_PIPELINES", "DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES")


def check_components(settings: BaseSettings) -> None:
    """Every component a setting names imports: a typo in a class path is bad input, not a crawl
    that cannot start with a traceback. Run by ``scrapy crawl`` before the crawler is built (a
    command line ``-s EXTENSIONS=...`` replaces the project's, this extension with them)."""
    for name in COMPONENTS:
        for path in settings.getdict(name):
            if not isinstance(path, str):  # a class given as itself
                continue
            try:
                load_object(path)
            except (ImportError, NameError, ValueError, AttributeError) as exc:
                raise BadInput(f"{name} names {path!r}, which does not import ({exc}); fix the import path "
                               "or remove it") from exc


CHECKS: tuple[Callable[[Crawler, SchemaVersion | None], None], ...] = (
    check_numbers, check_coverage, check_schema_types, check_cassette,
    check_fallback,
)


def schema_version(settings: BaseSettings) -> SchemaVersion | None:
    """The registered version ``SCHEMA`` names (None when empty); a broken registry or an unknown
    subject or version is ``BadInput``."""
    from schemas.registry import SchemaError, default_registry

    ref = settings.get("SCHEMA") or ""
    if not ref:
        return None
    try:
        registry = default_registry()
    except SchemaError as exc:
        raise BadInput(f"the schema registry does not load: {exc}; fix the file (`scrapy schema check` "
                       "checks them all)") from exc
    try:
        return registry.get(ref)
    except SchemaError as exc:
        raise BadInput(f"SCHEMA={ref!r}: {exc}") from exc


class Preflight:
    """Runs every check of ``CHECKS`` when built; switched off by ``PREFLIGHT_ENABLED``."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Preflight:
        """Check everything now, before the engine exists; ``BadInput`` on the first problem."""
        if not crawler.settings.getbool("PREFLIGHT_ENABLED", True):
            raise NotConfigured("PREFLIGHT_ENABLED is off")
        version = schema_version(crawler.settings)
        for check in CHECKS:
            check(crawler, version)
        logger.debug("Preflight: settings, cassette and schema checked")
        return cls(crawler)
