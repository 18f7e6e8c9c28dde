"""Who produced a dataset: project and Scrapy versions, the crawl and the worker, for file metadata,
manifests and table snapshots."""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from functools import cache
from importlib import metadata

import scrapy
from scrapy.settings import BaseSettings


@cache
def project_version() -> str:
    """Broadsheet's version (from the installed project metadata), or ``unknown``."""
    try:
        return metadata.version("broadsheet")
    except metadata.PackageNotFoundError:
        return "unknown"


def versions() -> dict[str, str]:
    """Project and Scrapy versions."""
    return {"project_version": project_version(), "scrapy_version": scrapy.__version__}


@cache
def worker_id() -> str:
    """This process among a shared crawl's workers: ``<host>:<pid>``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def crawl_id(settings: BaseSettings) -> str:
    """The crawl's id: ``CRAWL_ID`` when set (all workers of a shared crawl), else a new one."""
    return settings.get("CRAWL_ID") or _new_crawl_id()


@cache
def _new_crawl_id() -> str:
    return f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
