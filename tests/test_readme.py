"""The README's analyst examples run as written, on a dataset a real crawl wrote."""

from __future__ import annotations

import os
import re

from conftest import ROOT, run_crawl


def test_readme_python_example_runs(tmp_path, capsys):
    result = run_crawl(tmp_path / "crawl", "mitrade", "-s", f"DATASET_URI={tmp_path / 'data' / 'news'}")
    assert result.returncode == 0
    code = re.search(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S).group(1)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        namespace: dict = {}
        exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own documentation
    finally:
        os.chdir(cwd)
    assert len(namespace["df"]) == 6
    assert "mitrade" in capsys.readouterr().out  # the DuckDB table was shown


def test_readme_starts_with_the_two_commands():
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    assert blocks[0].strip().startswith("python3 -m venv .venv && .venv/bin/pip install")
    assert "scrapy crawl mitrade -O out/mitrade.jsonl -O out/mitrade.parquet" in blocks[0]
    assert blocks[1].strip() == ".venv/bin/pytest"
