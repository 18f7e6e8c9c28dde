"""Logging: logs are for people, so no response body or item repr reaches them (``LOG_FORMATTER``)."""
