"""How many cores this process may use, and the ``auto`` word of the settings that count one a core."""

from __future__ import annotations

import os

AUTO = "auto"
"""The value of a count setting (``EXTRACTION_WORKERS``) meaning one a core this process may use."""


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the platform has one: a container's or
    ``taskset``'s limit, not the machine's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def is_auto(value: object) -> bool:
    """Whether a setting's value is ``auto`` (any letter case, spaces around it)."""
    return str(value).strip().lower() == AUTO
