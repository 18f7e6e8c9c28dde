"""Scrapyd nodes: the project's egg deployed with scrapyd-deploy to a real ``scrapyd`` on loopback,
crawls scheduled there with ``setting=`` pairs, as two workers of one shared crawl (real redis-server)
committing to one Iceberg table."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import urlopen

import pytest
from conftest import MITRADE_CASSETTE, ROOT, free_port
from test_frontier import LIVE_STORIES, table_rows

from broadsheet.nodes.egg import build_egg

pytestmark = [pytest.mark.crawl, pytest.mark.block_network(allowed_hosts=["127.0.0.1"])]

BIN = Path(sys.executable).parent


def call(url: str, action: str, **fields: str | list[str]) -> dict:
    """A Scrapyd API call: GET without fields, POST (form-encoded, lists repeated) with them."""
    data = urlencode(fields, doseq=True).encode() if fields else None
    with urlopen(f"{url}{action}", data=data, timeout=30) as response:
        answer = json.loads(response.read())
    assert answer["status"] == "ok", answer
    return answer


@pytest.fixture
def scrapyd(tmp_path: Path):
    """A real ``scrapyd`` on a free loopback port, with its own config, eggs, logs and job queue in
    ``tmp_path/scrapyd``, started outside the checkout; its URL."""
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = free_port()
    (home / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\neggs_dir = {home / 'eggs'}\n"
        f"logs_dir = {home / 'logs'}\ndbs_dir = {home / 'dbs'}\nitems_dir =\npoll_interval = 0.2\nmax_proc = 2\n")
    log = (home / "scrapyd.log").open("w")
    proc = subprocess.Popen([str(BIN / "scrapyd"), "--pidfile", str(home / "scrapyd.pid")], cwd=home,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while True:
        try:
            call(url, "daemonstatus.json")
            break
        except OSError:
            assert time.monotonic() < deadline and proc.poll() is None, (home / "scrapyd.log").read_text()
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(20)


def test_the_egg_holds_the_code_and_its_data_and_no_recordings(tmp_path):
    names = zipfile.ZipFile(build_egg(tmp_path / "broadsheet.egg")).namelist()
    assert "EGG-INFO/entry_points.txt" in names
    assert {"schemas/article/subject.json", "broadsheet/monitoring/templates/run.html.j2"} <= set(names)
    assert "broadsheet/extensions/__init__.py" in names  # zipimport imports no namespace package
    assert not [n for n in names if n.startswith(("fixtures/", "tests/")) or n.endswith(".pyc")]


def test_a_shared_crawl_on_scrapyd_nodes(tmp_path, scrapyd, redis_url):
    egg = tmp_path / "broadsheet.egg"
    subprocess.run([str(BIN / "scrapy"), "egg", str(egg)], cwd=ROOT, check=True, capture_output=True)
    # scrapyd-deploy reads its target from the scrapy.cfg nearest to where it runs.
    deployer = tmp_path / "deployer"
    deployer.mkdir()
    (deployer / "scrapy.cfg").write_text(f"[deploy:node]\nurl = {scrapyd}\nproject = broadsheet\n")
    deployed = subprocess.run([str(BIN / "scrapyd-deploy"), "node", "--egg", str(egg), "--version", "1"],
                              cwd=deployer, capture_output=True, text=True)
    assert deployed.returncode == 0, deployed.stderr
    assert json.loads(deployed.stdout)["spiders"] >= 1
    assert "mitrade" in call(scrapyd, "listspiders.json?project=broadsheet")["spiders"]

    # The same settings a worker is started with on the command line, as schedule.json pairs.
    cassette = tmp_path / "cassette.yaml"  # nodes have no checkout: an absolute path
    shutil.copy(MITRADE_CASSETTE, cassette)
    jobs = []
    for name in ("w1", "w2"):
        feeds = json.dumps({str(tmp_path / f"{name}.jsonl"): {"format": "jsonlines", "overwrite": True}})
        settings = {"REDIS_URL": redis_url, "TABLE_URI": str(tmp_path / "table"), "VCR_CASSETTE": str(cassette),
                    "FEEDS": feeds, "HISTORY_URI": str(tmp_path / "history")}
        jobs.append(call(scrapyd, "schedule.json", project="broadsheet", spider="mitrade",
                         setting=[f"{k}={v}" for k, v in settings.items()])["jobid"])

    deadline = time.monotonic() + 180
    while True:
        listed = call(scrapyd, "listjobs.json?project=broadsheet")
        if {job["id"] for job in listed["finished"]} == set(jobs):
            break
        assert time.monotonic() < deadline, listed
        time.sleep(0.5)

    logs = [(tmp_path / "scrapyd" / "logs" / "broadsheet" / "mitrade" / f"{job}.log").read_text() for job in jobs]
    for log in logs:
        assert "mitrade finished (finished)" in log, log[-3000:]
        assert "Traceback" not in log and "ERROR" not in log, log[-3000:]
    rows = table_rows(tmp_path)
    stories = {(r["site"], r["canonical_url"]) for r in rows}
    assert len(rows) == len(stories) == LIVE_STORIES
    exported = [json.loads(line) for name in ("w1", "w2")
                for line in (tmp_path / f"{name}.jsonl").read_text().splitlines()]
    assert sorted(r["url"] for r in exported) == sorted(r["url"] for r in rows)
    # The run monitor ran on the node: its report, rendered from the templates inside the egg.
    reports = [p for p in (tmp_path / "history").rglob("*.html") if p.name != "index.html"]
    assert len(reports) == 2 and all("<svg" in p.read_text() for p in reports)
