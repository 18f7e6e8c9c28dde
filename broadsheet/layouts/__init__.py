"""Dated layout versions of a site (``versions.py``): each page read with its era's layout."""

from broadsheet.layouts.versions import Layout, LayoutVersions, layered

__all__ = ["Layout", "LayoutVersions", "layered"]
