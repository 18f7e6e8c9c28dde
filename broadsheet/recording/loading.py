"""Reading a cassette file strictly: every way it can be broken is named, with the file.

vcrpy treats an unreadable cassette as empty (and may then overwrite it) and reports YAML
errors against ``"<unicode string>"``. Here a cassette is parsed as a stream (the file's text is
never held whole), and a git conflict marker, a YAML error, an unsafe ``!!python/...`` tag, a
file that is not UTF-8 or valid YAML of the wrong shape each raise ``CassetteError`` naming the
file, the place and what to do.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import yaml
from vcr.request import Request as VcrRequest
from vcr.serializers import compat

from broadsheet.errors import BadInput
from broadsheet.recording import serializer

CONFLICT_MARKERS = (b"<<<<<<<", b"=======", b">>>>>>>")
REMEDY = ("re-record it (VCR_RECORD_MODE=all) or import a capture with "
          "`scrapy cassette import HAR CASSETTE`")


class CassetteError(BadInput):
    """A cassette file that cannot be replayed; the message names the file and what to do."""


def conflict_marker_line(path: Path) -> int | None:
    """The first line (1-based) that starts with a git merge conflict marker, or None.

    A cassette written by PyYAML indents every continuation of a body, so a marker at the start
    of a line is never recorded text.
    """
    with path.open("rb") as f:
        for number, line in enumerate(f, 1):
            if line.startswith(CONFLICT_MARKERS):
                return number
    return None


def _yaml_error(path: Path, exc: yaml.YAMLError) -> CassetteError:
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if isinstance(exc, yaml.constructor.ConstructorError) and "python/" in str(exc):
        return CassetteError(f"{path}: unsafe YAML tag{where} ({problem}); a cassette holds plain data "
                             f"only and is never loaded with Python tags: {REMEDY}")
    return CassetteError(f"{path}: not valid YAML{where}: {problem}; fix the file or {REMEDY}")


def _shape_problem(data: Any) -> str | None:
    """What is wrong with the shape of a parsed cassette (None when it is a version 1 cassette)."""
    if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
        return "not a VCR cassette (expected a mapping with an `interactions` list, version 1)"
    for index, interaction in enumerate(data["interactions"]):
        request = interaction.get("request") if isinstance(interaction, dict) else None
        response = interaction.get("response") if isinstance(interaction, dict) else None
        if not isinstance(request, dict) or not isinstance(response, dict):
            return f"interaction {index} has no request and response mappings"
        if not isinstance(request.get("uri"), str) or not isinstance(request.get("method"), str):
            return f"interaction {index}: request.uri and request.method must be strings"
        status = response.get("status")
        if not isinstance(status, dict) or not isinstance(status.get("code"), int):
            return f"interaction {index}: response.status.code must be a number"
        if not isinstance(response.get("headers", {}), dict):
            return f"interaction {index}: response.headers must be a mapping"
        body = response.get("body")
        if not isinstance(body, dict) or not isinstance(body.get("string"), str | bytes | None):
            return f"interaction {index}: response.body.string must be text or bytes"
    return None


def read_cassette(path: str | Path) -> tuple[list[VcrRequest], list[dict[str, Any]]]:
    """The recorded requests and responses of a cassette file, bodies as bytes.

    Raises ``CassetteError`` naming the file for an empty file, a file that is not UTF-8,
    a YAML error (a git conflict marker named as such), an unsafe tag or a wrong shape.
    """
    path = Path(path)
    try:
        compressed = path.name.endswith(".gz")  # cassette.yaml.gz: the same YAML, gzip-compressed
        marker = None if compressed else conflict_marker_line(path)
        if marker is not None:
            raise CassetteError(f"{path}: line {marker} is a git merge conflict marker; resolve the conflict "
                                "(or `git checkout` the cassette) before replaying it")
        with (gzip.open(path, "rt", encoding="utf-8") if compressed else path.open(encoding="utf-8")) as stream:
            data = serializer.deserialize(stream)
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        raise CassetteError(f"{path}: cannot read the cassette ({getattr(exc, 'strerror', None) or exc})") from exc
    except UnicodeDecodeError as exc:
        raise CassetteError(f"{path}: not UTF-8 text at byte {exc.start}; {REMEDY}") from exc
    except yaml.YAMLError as exc:
        raise _yaml_error(path, exc) from exc
    if data is None:
        raise CassetteError(f"{path}: the cassette is empty; {REMEDY}")
    problem = _shape_problem(data)
    if problem:
        raise CassetteError(f"{path}: {problem}; {REMEDY}")
    requests, responses = [], []
    interactions = data.pop("interactions")
    interactions.reverse()
    while interactions:  # converted one by one, so the parsed text is freed as bodies become bytes
        interaction = interactions.pop()
        request = interaction["request"]
        requests.append(VcrRequest(request["method"], request["uri"], request.get("body"),
                                   request.get("headers") or {}))
        responses.append(compat.convert_to_bytes(interaction["response"]))
    return requests, responses
