"""Typed Python models of the newest ``article`` version, generated from the registered file.

``schemas/models.py`` is written by datamodel-code-generator (``scrapy schema models``), never by
hand; a test regenerates it and fails when the committed file is stale. The JSON Schema file stays
the one place the article's fields are written.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from schemas.registry import Registry

MODELS = Path(__file__).resolve().parent / "models.py"

# Strict string, number and boolean types, forbidden extra fields, aware date-times: the models
# accept exactly what the registered schema accepts (tests/test_schema_models.py holds them to it).
CODEGEN_OPTIONS = [
    "--input-file-type", "jsonschema", "--output-model-type", "pydantic_v2.BaseModel",
    "--target-python-version", "3.11", "--use-annotated", "--use-union-operator",
    "--use-standard-collections", "--field-constraints", "--use-field-description",
    "--use-schema-description", "--extra-fields", "forbid", "--strict-types", "str", "bool", "int", "float",
    "--output-datetime-class", "AwareDatetime", "--disable-timestamp", "--formatters", "builtin",
    "--use-double-quotes",
]


def render(registry: Registry, subject: str = "article") -> str:
    """The models module for ``subject``'s newest version, as datamodel-code-generator writes it,
    under a docstring that says where it comes from."""
    version = registry.get(subject)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / f"{version.version}.json"
        source.write_text(json.dumps(version.schema), encoding="utf-8")
        out = Path(tmp) / "models.py"
        done = subprocess.run([sys.executable, "-m", "datamodel_code_generator", "--input", str(source),
                               "--output", str(out), *CODEGEN_OPTIONS], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"datamodel-code-generator failed on {version.path}: {done.stderr.strip()}")
        code = out.read_text(encoding="utf-8")
    docstring = (f'"""Pydantic models of {version.ref}, generated from {version.path.relative_to(MODELS.parent.parent)}'
                 ' by `scrapy schema models`: do not edit.\n\n'
                 'Parse a JSON Lines record with ``Article.model_validate_json(line)``.\n"""\n\n')
    return docstring + code
