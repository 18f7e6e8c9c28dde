"""Bad input fails fast: real ``scrapy crawl`` and commands over inputs broken in the test.

Each case asserts exit code 2, one line naming the setting, argument or file and saying what to
do, no traceback, and that the previous output (an ``-O`` feed) is byte-identical afterwards.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import MITRADE_CASSETTE, ROOT, CrawlResult, crawl_ahead, run_crawl

from broadsheet.testing import forkserver
from schemas.registry import default_registry

BTC = "https://www.mitrade.com/au/insights/news/live-news/article-1-1572010-20260206"
GOOD_FEED = b'{"url": "yesterday"}\n'


def conflict(path: Path) -> None:
    path.write_text("<<<<<<< HEAD\n" + MITRADE_CASSETTE.read_text(encoding="utf-8"), encoding="utf-8")


def marker_inside(path: Path) -> None:
    lines = MITRADE_CASSETTE.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join([*lines[:40], "=======\n", *lines[40:]]), encoding="utf-8")


def yaml_error_inside(path: Path) -> None:  # in the third interaction: parsed alone, named by the file's line
    lines = MITRADE_CASSETTE.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[1845] == "- request:\n" and lines[1847] == "    headers:\n"
    path.write_text("".join([*lines[:1848], "    bad: a: b\n", *lines[1848:]]), encoding="utf-8")


def bad_status_inside(path: Path) -> None:
    first, second, rest = MITRADE_CASSETTE.read_text(encoding="utf-8").split("      code: 200", 2)
    path.write_text("      code: 200".join([first, second, rest.replace("      code: 200", "      code: ok", 1)]),
                    encoding="utf-8")


CASSETTES = {  # id: (how the cassette is broken, what the message must say)
    "missing": (None, ["no such cassette", "scrapy cassette import"]),
    "empty": (lambda p: p.write_text(""), ["the cassette is empty", "scrapy cassette import"]),
    "no_interactions": (lambda p: p.write_text("interactions: []\nversion: 1\n"),
                        ["the cassette holds no interactions", "scrapy cassette import"]),
    "conflict": (conflict, ["line 1 is a git merge conflict marker", "resolve the conflict"]),
    "conflict_inside": (marker_inside, ["line 41 is a git merge conflict marker"]),
    "not_yaml": (lambda p: p.write_text("interactions: [\n"), ["not valid YAML at line 2"]),
    "wrong_shape": (lambda p: p.write_text("[1, 2, 3]\n"), ["not a VCR cassette"]),
    "bad_interaction": (lambda p: p.write_text("interactions:\n- request: {uri: x}\n"),
                        ["interaction 0 has no request and response"]),
    "yaml_error_inside": (yaml_error_inside, ["not valid YAML at line 1849, column 11"]),
    "bad_interaction_inside": (bad_status_inside, ["interaction 2: response.status.code must be a number"]),
    "python_tag": (lambda p: p.write_text('interactions: !!python/object/apply:os.system ["echo hi"]\n'),
                   ["unsafe YAML tag", "python/object/apply:os.system"]),
    "not_utf8": (lambda p: p.write_bytes(b"\xff\xfe interactions"), ["not UTF-8"]),
}

SETTINGS = {  # id: (crawl arguments, what the message must say)
    "share_above_1": (["-s", "QUARANTINE_MAX_SHARE=2"], ["QUARANTINE_MAX_SHARE='2'", "between 0 and 1"]),
    "share_negative": (["-s", "QUARANTINE_MAX_SHARE=-1"], ["QUARANTINE_MAX_SHARE='-1'", "between 0 and 1"]),
    "share_not_number": (["-s", "QUARANTINE_MAX_SHARE=lots"], ["QUARANTINE_MAX_SHARE='lots'"]),
    "max_pages_0": (["-a", "max_pages=0"], ["-a max_pages='0'", "1 or more"]),
    "max_pages_word": (["-a", "max_pages=ten"], ["-a max_pages='ten'", "whole number"]),
    "urls_not_url": (["-a", "urls=notaurl"], ["-a urls: 'notaurl' is not an absolute URL"]),
    "coverage_unknown_field": (["-s", 'FIELD_COVERAGE_MIN={"headlin": 1.0}'],
                               ["FIELD_COVERAGE_MIN names ['headlin']", "data-dictionary"]),
    "coverage_share": (["-s", 'FIELD_COVERAGE_MIN={"authors": 2}'], ["FIELD_COVERAGE_MIN['authors']=2"]),
    "unknown_schema": (["-s", "SCHEMA=article@9"], ["SCHEMA='article@9'", "no version 9"]),
    "record_mode": (["-s", "VCR_RECORD_MODE=sometimes"], ["VCR_RECORD_MODE='sometimes'", "'new_episodes'"]),
    "rows_per_file": (["-s", "DATASET_ROWS_PER_FILE=0"], ["DATASET_ROWS_PER_FILE='0'", "1 or more"]),
    "pipeline_typo": (["-s", 'ITEM_PIPELINES={"pipelines.validaton.SchemaValidationPipeline": 300}'],
                      ["ITEM_PIPELINES names 'pipelines.validaton.SchemaValidationPipeline'", "fix the import path"]),
    "extension_typo": (["-s", 'EXTENSIONS={"broadsheet.extensions.outcomes.PageOutcome": 400}'],
                       ["EXTENSIONS names 'broadsheet.extensions.outcomes.PageOutcome'"]),
    "maxsize_negative": (["-s", "DOWNLOAD_MAXSIZE=-5"], ["DOWNLOAD_MAXSIZE='-5'", "0 for no limit"]),
    "workers_negative": (["-s", "EXTRACTION_WORKERS=-1"], ["EXTRACTION_WORKERS='-1'", "0 to read pages in"]),
    "workers_word": (["-s", "EXTRACTION_WORKERS=two"], ["EXTRACTION_WORKERS='two'", "whole number of worker"]),
    "workers_not_auto": (["-s", "EXTRACTION_WORKERS=automatic"], ["EXTRACTION_WORKERS='automatic'", "or auto"]),
    "codec": (["-s", "PARQUET_COMPRESSION=zip"], ["PARQUET_COMPRESSION='zip'", "zstd"]),
    "handler_bypass": (["-s", 'DOWNLOAD_HANDLERS={"ftp": "scrapy.core.downloader.handlers.ftp.FTPDownloadHandler"}'],
                       ["DOWNLOAD_HANDLERS['http']", "past VCR_CASSETTE"]),
}


def assert_refused(proc_code: int, log: str, says: list[str], feed: Path) -> None:
    """Exit 2, one line saying all of ``says``, no traceback, and the feed untouched."""
    assert proc_code == 2, log[-2000:]
    lines = [line for line in log.splitlines() if all(s in line for s in says)]
    assert len(lines) == 1, log[-2000:]
    assert "Traceback" not in log and "is not set yet" not in log
    assert feed.read_bytes() == GOOD_FEED
    assert not list(feed.parent.glob("*.quarantine.jsonl"))


# The crawls (and commands) of most tests here run ahead, in the background from the session's
# start (``crawl_ahead``): ``job(folder, **params)``, the test's assertions on ``crawled``.

def over_good_feed(folder: Path, *args: str, **kwargs) -> CrawlResult:
    """A crawl into ``folder/out.jsonl`` (and ``out.parquet``), where yesterday's good feed is,
    which a refused crawl must leave as it was."""
    (folder / "out.jsonl").write_bytes(GOOD_FEED)
    return run_crawl(folder, "mitrade", "-O", str(folder / "out.parquet"), *args, **kwargs)


def broken_cassette_crawl(folder: Path, case: str) -> CrawlResult:
    breaks, _ = CASSETTES[case]
    if breaks:
        breaks(folder / "cassette.yaml")
    return over_good_feed(folder, urls=[BTC], cassette=folder / "cassette.yaml")


@crawl_ahead(broken_cassette_crawl)
@pytest.mark.parametrize("case", sorted(CASSETTES))
def test_a_broken_cassette_is_refused_before_the_first_request(case, crawled):
    _, says = CASSETTES[case]
    cassette = crawled.out.parent / "cassette.yaml"
    assert_refused(crawled.returncode, crawled.log, [str(cassette), *says], crawled.out)
    assert "downloader/request_count" not in crawled.log


def _recorded(path: Path, interactions: list[dict]) -> None:
    path.write_text(yaml.dump({"interactions": interactions, "version": 1}), encoding="utf-8")


@pytest.mark.parametrize("path", [*sorted((ROOT / "fixtures").rglob("cassette.yaml*")), "aliases", "indented"])
def test_a_cassette_parsed_by_interaction_gives_what_a_whole_parse_gives(path, tmp_path):
    """Parsed interaction by interaction (or whole, for another layout: a header shared by two
    interactions is written once and aliased; an indented list), with bodies compressed or not."""
    from broadsheet.recording.handler import cassette_text
    from broadsheet.recording.loading import body_bytes, read_cassette

    if path in ("aliases", "indented"):
        shared = {"content-type": ["text/html"]}
        pages = [{"request": {"uri": f"https://x.test/{n}", "method": "GET", "body": None, "headers": {}},
                  "response": {"status": {"code": 200, "message": "OK"}, "headers": shared,
                               "body": {"string": f"<p>page {n}</p>"}}} for n in range(3)]
        _recorded(tmp_path / "c.yaml", pages)
        text = (tmp_path / "c.yaml").read_text(encoding="utf-8")
        assert "*id001" in text  # PyYAML wrote the shared headers once
        if path == "indented":
            text = "interactions:\n" + "".join(
                f'  - request: {{uri: "https://x.test/{n}", method: GET, body: null, headers: {{}}}}\n'
                f'    response: {{status: {{code: 200}}, headers: {{}}, body: {{string: "<p>{n}</p>"}}}}\n'
                for n in range(3)) + "version: 1\n"
        path = tmp_path / "c.yaml"
        path.write_text(text, encoding="utf-8")
    whole = yaml.safe_load(cassette_text(path))["interactions"]
    for compress in (False, True):
        requests, responses = read_cassette(path, compress_bodies=compress)
        assert [(r.method, r.uri) for r in requests] == [(i["request"]["method"], i["request"]["uri"]) for i in whole]
        for response, interaction in zip(responses, whole, strict=True):
            assert response["headers"] == interaction["response"]["headers"]
            assert body_bytes(response["body"]["string"]) == body_bytes(interaction["response"]["body"]["string"])


def bad_setting_crawl(folder: Path, case: str) -> CrawlResult:
    args, _ = SETTINGS[case]
    extra = [] if any(a.startswith("urls=") for a in args) else ["-a", f"urls={BTC}"]
    return over_good_feed(folder, *extra, *args)


@crawl_ahead(bad_setting_crawl)
@pytest.mark.parametrize("case", sorted(SETTINGS))
def test_a_bad_setting_or_argument_is_refused_with_its_name(case, crawled):
    assert_refused(crawled.returncode, crawled.log, SETTINGS[case][1], crawled.out)


@crawl_ahead(lambda folder: scrapy("crawl", "nosuch"))
def test_an_unknown_spider_is_bad_input(crawled):
    proc = crawled
    assert proc.returncode == 2 and "no spider named 'nosuch'" in proc.stderr and "Traceback" not in proc.stderr


def recorded(cassette: Path, uri: str, body: str, headers: dict | None = None) -> None:
    interactions = [{
        "request": {"uri": uri, "method": "GET", "body": None, "headers": {}},
        "response": {"status": {"code": 200, "message": "OK"}, "body": {"string": body},
                     "headers": headers or {"Content-Type": ["text/html; charset=utf-8"]}},
    } for uri, body in ((uri.split("/article")[0].rsplit("/", 0)[0] and
                         "https://www.mitrade.com/robots.txt", ""), (uri, body))]
    cassette.write_text(yaml.safe_dump({"interactions": interactions, "version": 1}), encoding="utf-8")


def large_page_crawl(folder: Path) -> CrawlResult:
    recorded(folder / "c.yaml", BTC, "<html><body>" + "x" * 5000 + "</body></html>")
    return run_crawl(folder, "mitrade", "-s", "DOWNLOAD_MAXSIZE=1000", urls=[BTC], cassette=folder / "c.yaml")


@crawl_ahead(large_page_crawl)
def test_replay_honours_download_maxsize(crawled):
    result = crawled
    assert result.stats.get("vcr/too_large") == 1
    assert result.stats.get("broadsheet/pages/failed/too_large") == 1
    assert "larger than the download max size (1000, DOWNLOAD_MAXSIZE)" in result.log


def ftp_crawl(folder: Path) -> CrawlResult:
    recorded(folder / "c.yaml", BTC, "<html></html>")
    url = "ftp://www.mitrade.com/pub/article.html"
    return run_crawl(folder, "mitrade", "-s", "ROBOTSTXT_OBEY=False", urls=[url], cassette=folder / "c.yaml")


@crawl_ahead(ftp_crawl)
def test_ftp_does_not_bypass_the_cassette(crawled):
    result = crawled
    assert result.stats.get("vcr/missing") == 1 and "vcr/replayed" not in result.stats
    assert result.stats.get("broadsheet/pages/failed/not_in_cassette") == 1 and result.returncode == 1


def test_requests_the_cassette_lacks_are_told_in_one_line(tmp_path):
    """A cassette without robots.txt (a browser capture never has it) and a page it does not
    hold: one WARNING for robots.txt (every URL allowed), one ERROR line for the page naming it,
    the cassette, the closest recorded request and what to do; no traceback, no screenful."""
    data = yaml.safe_load(MITRADE_CASSETTE.read_text(encoding="utf-8"))
    data["interactions"] = [i for i in data["interactions"] if not i["request"]["uri"].endswith("/robots.txt")]
    cassette = tmp_path / "cassette.yaml"
    cassette.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    missing = BTC.replace("1572010", "1572011")
    result = run_crawl(tmp_path, "mitrade", "-s", "FAILURE_MAX_SHARE=0.5", urls=[BTC, missing], cassette=cassette)
    assert result.returncode == 0 and len(result.items) == 1, result.log[-2000:]
    assert "Traceback" not in result.log and "How to fix" not in result.log
    (robots,) = [line for line in result.log.splitlines() if "robots.txt is not in the cassette" in line]
    assert " WARNING: GET https://www.mitrade.com/robots.txt" in robots and "every URL of the site is allowed" in robots
    (failed,) = [line for line in result.log.splitlines() if f"Failed {missing}" in line]
    assert f"not_in_cassette: GET {missing} is not in the cassette {cassette} (the closest recorded, " in failed
    assert "differs in path); record it" in failed and "scrapy cassette import HAR" in failed
    assert result.stats["log_count/ERROR"] == 1


@crawl_ahead(lambda folder: run_crawl(folder, "mitrade", "-s", "LOG_LEVEL=DEBUG", urls=[BTC]))
def test_the_cassette_is_loaded_once_and_no_body_is_logged(crawled):
    result = crawled
    assert result.returncode == 0 and len(result.items) == 1
    assert result.log.count("Replaying ") == 1
    assert "Appending request" not in result.log and "<html" not in result.log.lower()
    assert result.items[0]["headline"] not in result.log  # no item repr either


def scrapy(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return forkserver.run([sys.executable, "-m", "scrapy", *args], cwd=cwd, timeout=120)


def har(entries: list[dict]) -> dict:
    return {"log": {"version": "1.2", "entries": entries}}


def entry(headers: list[dict]) -> dict:
    return {"request": {"method": "GET", "url": "https://example.org/", "headers": []},
            "response": {"status": 200, "headers": headers, "content": {"text": "<html></html>"}}}


HARS = {  # id: (HAR bytes, target cassette text or None, what the message must say)
    "header_without_value": (json.dumps(har([entry([{"name": "Content-Type"}])])).encode(), None,
                             ["entry 0: response.headers[0] has no string name and value"]),
    "not_utf8": ('{"log": {"entries": [], "comment": "caf\u00e9"}}'.encode("latin-1"), None,
                 ["not UTF-8", "Save all as HAR"]),
    "corrupt_cassette": (json.dumps(har([entry([])])).encode(), "<<<<<<< HEAD\ninteractions: []\n",
                         ["cassette.yaml: line 1 is a git merge conflict marker"]),
}


def har_import(folder: Path, case: str) -> tuple[subprocess.CompletedProcess, Path]:
    """``scrapy cassette import`` of the case's HAR into ``folder/cassette.yaml``: the process and that path."""
    content, target, _ = HARS[case]
    capture, cassette = folder / "capture.har", folder / "cassette.yaml"
    capture.write_bytes(content)
    if target is not None:
        cassette.write_text(target, encoding="utf-8")
    return scrapy("cassette", "import", str(capture), str(cassette)), cassette


@crawl_ahead(har_import)
@pytest.mark.parametrize("case", sorted(HARS))
def test_har_import_names_the_file_and_keeps_the_cassette(case, crawled):
    _, target, says = HARS[case]
    proc, cassette = crawled
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert all(s in proc.stderr for s in says), proc.stderr
    assert (cassette.read_text(encoding="utf-8") if target is not None else not cassette.exists()) in (target, True)


def registry(tmp_path: Path, schema: dict) -> Path:
    folder = tmp_path / "registry" / "thing"
    folder.mkdir(parents=True)
    (folder / "subject.json").write_text('{"compatibility": "BACKWARD"}')
    base = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "urn:test:thing:1",
            "x-subject": "thing", "x-version": 1, "type": "object", "additionalProperties": False}
    text = json.dumps({**base, "properties": {"a": "DEEP"}}).replace('"DEEP"', schema.text()) \
        if isinstance(schema, Deep) else json.dumps({**base, **schema})
    (folder / "1.json").write_text(text)
    return folder.parent


def nested(depth: int) -> dict:
    schema: dict = {"type": "string"}
    for _ in range(depth):
        schema = {"type": "object", "additionalProperties": False, "properties": {"a": schema}}
    return schema


class Deep(dict):
    """A schema nested too deep for ``json.dumps``: written as text."""

    def __init__(self, depth: int):
        super().__init__()
        self.depth = depth

    def text(self) -> str:
        level = '{"type": "object", "additionalProperties": false, "properties": {"a": '
        return level * self.depth + '{"type": "string"}' + "}}" * self.depth


SCHEMAS = {  # id: (schema body, what the message must say)
    "ref_cycle": ({"properties": {"node": {"$ref": "#/$defs/node"}},
                   "$defs": {"node": {"type": "object", "additionalProperties": False,
                                      "properties": {"child": {"$ref": "#/$defs/node"}}}}},
                  ["is a $ref cycle", "recursive schemas are refused"]),
    "self_ref": ({"properties": {"x": {"$ref": "#/$defs/x"}}, "$defs": {"x": {"$ref": "#/$defs/x"}}},
                 ["is a $ref cycle"]),
    "deep": (Deep(3000), ["nested too deep"]),
    "deep_below_json_limit": ({"properties": {"a": nested(100)}}, ["levels deep, more than 32"]),
}


def schema_check(folder: Path, case: str) -> subprocess.CompletedProcess:
    return scrapy("schema", "check", "-s", f"SCHEMA_REGISTRY_DIR={registry(folder, SCHEMAS[case][0])}")


@crawl_ahead(schema_check)
@pytest.mark.parametrize("case", sorted(SCHEMAS))
def test_schema_check_refuses_recursive_and_deep_schemas(case, crawled):
    says, proc = SCHEMAS[case][1], crawled
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "RecursionError" not in proc.stderr
    assert all(s in proc.stderr for s in says) and "1.json" in proc.stderr, proc.stderr


@pytest.fixture(scope="module")
def project_with_a_refused_schema(tmp_path_factory) -> Path:
    """The project's code and registry, plus an article schema with a $ref cycle."""
    root = tmp_path_factory.mktemp("project")
    for name in ("scrapy.cfg", "broadsheet", "spiders", "pipelines", "schemas"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy
        copy(ROOT / name, root / name)
    newest = default_registry().get("article")
    schema = {**newest.schema, "$id": f"{newest.schema['$id']}-cycle", "x-version": newest.version + 1}
    schema["$defs"] = {**schema.get("$defs", {}), "node": {"type": "object", "properties": {
        "child": {"$ref": "#/$defs/node"}}}}
    schema["properties"] = {**schema["properties"], "tree": {"$ref": "#/$defs/node"}}
    (root / "schemas" / "article" / f"{newest.version + 1}.json").write_text(json.dumps(schema))
    return root


@pytest.mark.parametrize("command", [["list"], ["crawl", "mitrade", "-a", f"urls={BTC}"],
                                     ["fixture", "update", "mitrade"]], ids=lambda c: c[0])
def test_a_refused_registered_schema_stops_every_command_in_one_line(project_with_a_refused_schema, command):
    """Spiders import item classes derived from the newest schema: a schema the registry refuses
    is bad input for every command that loads spiders (exit 2, the file named), not a traceback."""
    proc = subprocess.run([sys.executable, "-m", "scrapy", *command], cwd=project_with_a_refused_schema,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    (line,) = proc.stderr.strip().splitlines()
    assert f"article/{default_registry().get('article').version + 1}.json" in line and "is a $ref cycle" in line


def test_arrow_types_of_a_recursive_schema_fail_instead_of_hanging():
    from schemas.arrow import ArrowMappingError, arrow_type

    node = {"type": "object", "additionalProperties": False, "properties": {"child": {"$ref": "#/node"}}}
    with pytest.raises(ArrowMappingError, match="nested deeper"):
        arrow_type(node, lambda ref: node)
    with pytest.raises(ArrowMappingError, match=r"\$ref cycle"):
        arrow_type({"$ref": "#/x"}, lambda ref: {"$ref": "#/x"})


def corrupt_page_crawl(folder: Path) -> CrawlResult:
    data = yaml.safe_load(MITRADE_CASSETTE.read_text(encoding="utf-8"))
    (page,) = [i for i in data["interactions"] if i["request"]["uri"] == BTC]
    body = page["response"]["body"]["string"].encode("utf-8")
    page["response"]["body"]["string"] = body.replace(b"Surrenders", b"Surr\xe9nders")
    cassette = folder / "cassette.yaml"
    cassette.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")  # the page as !!binary
    return run_crawl(folder, "mitrade", urls=[BTC], cassette=cassette)


@crawl_ahead(corrupt_page_crawl)
def test_text_holding_replacement_characters_is_quarantined_not_exported(crawled, tmp_path):
    """The recorded Mitrade page with a stray latin-1 byte in its headline (4 invalid sequences
    beside its 10 non-ASCII characters): still UTF-8, not cp1252 mojibake (``Surr\u00e9nders``
    with ``\u00e2\u20ac\u02dc`` for each quote); its headline holds U+FFFD, and the record is
    quarantined, not exported; `schema validate` agrees."""
    result = crawled
    assert result.returncode == 1 and result.finish_reason == "failed_invalid_share"
    assert result.items == [] and result.stats["broadsheet/text/invalid_bytes"] == 4
    assert "broadsheet/text/recoded/detected" not in result.stats
    assert result.stats["broadsheet/invalid/headline/replacement_character"] == 1
    kept = result.out.parent / f"out.quarantine.jsonl.failed-{result.stats['broadsheet/crawl_id']}"
    (entry,) = [json.loads(line) for line in kept.read_text(encoding="utf-8").splitlines()]
    assert entry["item"]["headline"].startswith("Bitcoin Surr\ufffdnders $65,000")
    assert "Warn of \u2018Structural\u2019 Market" in entry["item"]["headline"]  # its quotes read right
    assert any(e["path"] == "$.headline" and e["keyword"] == "replacement_character" for e in entry["errors"])
    records = tmp_path / "records.jsonl"
    records.write_text(json.dumps(entry["item"]) + "\n", encoding="utf-8")
    checked = forkserver.run([sys.executable, "-m", "scrapy", "schema", "validate", entry["schema"], str(records)],
                             cwd=ROOT, timeout=120)
    assert checked.returncode == 1 and "$.headline  [replacement_character]" in checked.stdout, checked.stdout
