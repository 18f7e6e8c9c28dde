"""Who produced a dataset: project and Scrapy versions, for file metadata and manifests."""

from __future__ import annotations

from functools import cache
from importlib import metadata

import scrapy


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
