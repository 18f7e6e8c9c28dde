"""One table many workers commit to: the Apache Iceberg article table (``TABLE_URI``)."""

table_committed = object()
"""Signal sent by the table pipeline after a crawl's rows are committed (argument ``rows``)."""
