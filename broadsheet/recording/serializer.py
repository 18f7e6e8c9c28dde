"""The cassette YAML serializer: vcrpy's own safe loader and dumper, writing Unicode as itself.

vcrpy's default YAML dump escapes every non-ASCII character (``Alibaba\\u2019s``), which makes a
recorded page unreadable in review. This keeps vcrpy's loader and its refusal to write Python
objects, and only asks PyYAML to write Unicode text as text. Registered under vcrpy's name
``yaml``, so cassettes stay the format pytest-recording writes and reads.
"""

from __future__ import annotations

from typing import Any

import yaml
from vcr.serializers import yamlserializer


def deserialize(cassette_string: str) -> Any:
    """vcrpy's safe cassette loader."""
    return yamlserializer.deserialize(cassette_string)


def serialize(cassette_dict: dict[str, Any]) -> str:
    """vcrpy's cassette dumper, with Unicode written as text."""
    return yaml.dump(cassette_dict, Dumper=yamlserializer._CassetteDumper, allow_unicode=True)
