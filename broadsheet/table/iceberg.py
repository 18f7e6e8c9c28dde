"""The Iceberg article table: its catalog, its schema from the registry, and safe commits.

``TABLE_URI`` names the catalog:

- a folder (``data/table``): a SQL catalog on SQLite, ``<folder>/catalog.db``, with the
  warehouse (data and metadata files) in the folder itself. For one machine, or several sharing
  a file system; pyiceberg documents it as a development catalog.
- ``http(s)://...``: an Iceberg REST catalog (the production form: Polaris, Lakekeeper, Nessie,
  Unity, S3 Tables ...). ``TABLE_CATALOG_PROPERTIES`` (a dict) adds properties, e.g. ``warehouse``,
  ``credential`` or, with ``{"type": "glue"}``, a Glue catalog.

The table (``TABLE_NAME``, default ``broadsheet.articles``) is typed by the Arrow mapping of the
registered schema (``schemas/arrow.py``), partitioned by ``site`` and ``publication_date`` (the
day in the site's time zone). When a crawl validates against a newer schema version, the table first
gains that version's columns (``update_schema().union_by_name``); older columns are never dropped.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import pyarrow as pa
from pyiceberg.catalog import Catalog, load_catalog
from pyiceberg.exceptions import CommitFailedException, NamespaceAlreadyExistsError, TableAlreadyExistsError
from pyiceberg.table import Table

from schemas.arrow import arrow_schema
from schemas.registry import default_registry

logger = logging.getLogger(__name__)

DEFAULT_TABLE = "broadsheet.articles"
PARTITION_SITE = "site"
PARTITION_DAY = "publication_date"
# pyiceberg re-applies an append onto the refreshed table this many times before it gives up.
TABLE_PROPERTIES = {"commit.retry.num-retries": "20", "commit.retry.min-wait-ms": "20",
                    "commit.retry.max-wait-ms": "2000"}

T = TypeVar("T")


def open_catalog(uri: str, properties: dict[str, Any] | None = None) -> Catalog:
    """The catalog ``TABLE_URI`` names: a folder (SQLite SQL catalog) or a REST catalog URL."""
    extra = dict(properties or {})
    if urlparse(uri).scheme in ("http", "https"):
        return load_catalog("broadsheet", **{"type": "rest", "uri": uri, **extra})
    if extra.get("type"):
        return load_catalog("broadsheet", **{"uri": uri, **extra})
    root = Path(uri.removeprefix("file://")).resolve()
    root.mkdir(parents=True, exist_ok=True)
    from pyiceberg.catalog.sql import SqlCatalog

    return SqlCatalog("broadsheet", uri=f"sqlite:///{root / 'catalog.db'}", warehouse=root.as_uri(), **extra)


def table_schema(schema_ref: str) -> pa.Schema:
    """The Arrow schema of ``schema_ref`` as table columns (no key-value metadata)."""
    registry = default_registry()
    return arrow_schema(registry.get(schema_ref), registry).remove_metadata()


def open_table(catalog: Catalog, name: str, schema_ref: str) -> Table:
    """The table ``name``, created when missing, with every column of ``schema_ref``."""
    schema = table_schema(schema_ref)
    namespace = name.rsplit(".", 1)[0]
    with contextlib.suppress(NamespaceAlreadyExistsError):
        catalog.create_namespace(namespace)
    if not catalog.table_exists(name):
        # One commit creates the table with its partitioning, so no worker ever sees it unpartitioned.
        with contextlib.suppress(TableAlreadyExistsError, CommitFailedException):  # another worker was first
            create = catalog.create_table_transaction(name, schema=schema, properties=TABLE_PROPERTIES)
            with create.update_spec() as spec:
                spec.add_identity(PARTITION_SITE)
                spec.add_identity(PARTITION_DAY)  # a date: the day itself (a day transform needs pyiceberg-core)
            create.commit_transaction()
            logger.info("Created Iceberg table %(table)s from %(schema)s", {"table": name, "schema": schema_ref})
    table = catalog.load_table(name)
    missing = [f.name for f in schema if f.name not in table.schema().column_names]
    if missing:
        def evolve() -> None:
            table.refresh()
            if any(f.name not in table.schema().column_names for f in schema):
                with table.update_schema() as update:
                    update.union_by_name(schema)
        with_retries(evolve, f"adding {schema_ref}'s columns to {name}")
        logger.info("Table %(table)s gained %(columns)s (%(schema)s)",
                    {"table": name, "columns": ", ".join(missing), "schema": schema_ref})
    return table


def with_retries(action: Callable[[], T], what: str, attempts: int = 10, base_delay: float = 0.05) -> T:
    """Run ``action``; on ``CommitFailedException`` (another writer committed first) retry with
    jittered exponential backoff. The action must refresh the table itself."""
    for attempt in range(attempts):
        try:
            return action()
        except CommitFailedException as exc:
            if attempt == attempts - 1:
                raise CommitFailedException(f"{what}: still conflicting after {attempts} attempts: {exc}") from exc
            delay = base_delay * 2 ** attempt * (1 + random.random())
            logger.warning("%(what)s: concurrent commit, retrying in %(delay).2fs",
                           {"what": what, "delay": delay})
            time.sleep(delay)
    raise AssertionError("unreachable")


def append(table: Table, rows: pa.Table, summary: dict[str, str]) -> int:
    """Commit ``rows`` as one append snapshot whose summary carries ``summary``; the snapshot id.

    pyiceberg rebases the append on a concurrent commit (``commit.retry.*``); past that this
    refreshes the table and appends again, so no commit is lost.
    """
    def attempt() -> int:
        table.refresh()
        table.append(rows.cast(_target(table, rows.schema)), snapshot_properties=summary)
        return table.current_snapshot().snapshot_id

    return with_retries(attempt, f"appending {rows.num_rows} rows to {table.name()}")


def _target(table: Table, schema: pa.Schema) -> pa.Schema:
    """``schema`` with each field's nullability as the table has it (a column the table made
    optional stays optional; Arrow cast cannot make a column required)."""
    columns = {f.name: f for f in table.schema().as_arrow()}
    return pa.schema([f.with_nullable(columns[f.name].nullable) if f.name in columns else f for f in schema])
