"""Shared test helpers: real ``scrapy crawl`` runs in a subprocess over recorded cassettes."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from broadsheet import FIXTURES, PROJECT_ROOT
from broadsheet.testing import forkserver
from broadsheet.testing.crawl import Ahead, CrawlResult, run_crawl

__all__ = ["FIXTURES", "MITRADE_CASSETTE", "ROOT", "readme_feeds", "CrawlResult", "cassette_without_images",
           "copy_of_good_history", "crawl", "crawl_ahead", "crawl_over", "fixture_ahead",
           "good_history", "history", "mitrade_crawl", "mutated_cassette", "run_crawl"]

ROOT = PROJECT_ROOT
# Every test crawl is a fresh interpreter: where the environment forbids writing bytecode, each would
# compile the checkout's modules again (about 0.1 s a crawl). They cache it outside the checkout instead.
if os.environ.pop("PYTHONDONTWRITEBYTECODE", None):
    os.environ.setdefault("PYTHONPYCACHEPREFIX", str(Path(tempfile.gettempdir()) / "broadsheet-test-pycache"))
# The suite's `python -m scrapy` runs from the root are children forked from a pre-imported interpreter.
forkserver.enable()
# Crawls the tests start keep their run history out of the checkout.
os.environ.setdefault("BROADSHEET_HISTORY_URI", str(Path(tempfile.mkdtemp(prefix="broadsheet-history-")) / "%(name)s"))


@pytest.fixture(autouse=True)
def own_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's crawls have a run history of their own: never judged against another test's runs."""
    monkeypatch.setenv("BROADSHEET_HISTORY_URI", str(tmp_path / "history" / "%(name)s"))
MITRADE_CASSETTE = FIXTURES / "mitrade" / "cassette.yaml"  # the mitrade spider's default cassette


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "ahead(job, needs): the test's crawl, job(folder, **its parameters, **the "
                                       "session fixtures it needs), runs in the background from the session's start; "
                                       "the `crawled` fixture waits for it")


def crawl_ahead(job: Callable[..., Any], *needs: str) -> pytest.MarkDecorator:
    """Mark a test whose crawl, ``job(folder, **the test's parameters, **needs)``, runs ahead (the
    ``ahead`` fixture): the test asserts on its result, the ``crawled`` fixture. ``needs`` names
    ``fixture_ahead`` fixtures the job is given (waited for in the background)."""
    return pytest.mark.ahead.with_args(job, needs=needs)


AHEAD_FIXTURES: dict[str, tuple[Callable[..., Any], tuple[str, ...]]] = {}
"""The ``fixture_ahead`` fixtures, by name: their job and the fixtures it needs."""


def fixture_ahead(*needs: str) -> Callable[[Callable[..., Any]], Any]:
    """Make ``job(folder, **needs)`` a session fixture named after it, made ahead: in the
    background from the session's start when a test the session runs needs it (``ahead``), after
    the ``fixture_ahead`` fixtures it ``needs``."""
    def register(job: Callable[..., Any]) -> Any:
        assert job.__name__ not in AHEAD_FIXTURES, f"two fixture_ahead fixtures named {job.__name__}"
        AHEAD_FIXTURES[job.__name__] = (job, needs)

        @pytest.fixture(scope="session", name=job.__name__)
        def made(ahead: Ahead) -> Any:
            return ahead[job.__name__]

        made.__doc__ = job.__doc__
        return made

    return register


@pytest.fixture(scope="session", autouse=True)
def ahead(request, tmp_path_factory) -> Iterator[Ahead]:
    """Started before the first test, in the background, as many at once as the machine has
    cores, while the other tests run: first the ``fixture_ahead`` fixtures this session's tests
    need (each after those it needs), then the crawls of its ``ahead``-marked tests in test order,
    each in a folder of its own (once for the tests marked with the same job and parameters). A
    job waits only for jobs started before it, so the pool never waits on itself."""
    started: Ahead = Ahead()
    folder = tmp_path_factory.mktemp("ahead")
    marked = [(n, item, item.get_closest_marker("ahead")) for n, item in enumerate(request.session.items)]

    def run(job: Callable[..., Any], workdir: Path, params: dict, needs: tuple[str, ...]) -> Any:
        workdir.mkdir()
        return job(workdir, **params, **{name: started[name] for name in needs})

    def start_fixture(name: str) -> None:
        if name not in started:
            job, needs = AHEAD_FIXTURES[name]
            for need in needs:
                start_fixture(need)
            started.start(name, partial(run, job, folder / name, {}, needs))

    for _, item, marker in marked:
        for name in [*item.fixturenames, *(marker.kwargs["needs"] if marker else ())]:
            if name in AHEAD_FIXTURES:
                start_fixture(name)

    for n, item, marker in marked:
        if marker:
            params = item.callspec.params if hasattr(item, "callspec") else {}
            job = (marker.args[0], repr(sorted(params.items())))  # tests marked with one job and parameters share it
            if job in started:
                started.same(item.nodeid, job)
                continue
            started.start(job, partial(run, marker.args[0], folder / str(n), params, marker.kwargs["needs"]))
            started.same(item.nodeid, job)
    yield started
    started.close()


@pytest.fixture
def crawled(request, ahead: Ahead):
    """The result of this test's ``ahead`` job (waited for)."""
    return ahead[request.node.nodeid]


def pytest_recording_configure(config, vcr) -> None:
    """pytest-recording's VCR reads and writes cassettes as the crawls do: sorted, and
    gzip-compressed under the serializer name ``yaml.gz`` (path ``cassette.yaml.gz``)."""
    from broadsheet.recording import serializer
    from broadsheet.recording.handler import StablePersister

    vcr.register_serializer("yaml", serializer)
    vcr.register_serializer("yaml.gz", serializer)
    vcr.register_persister(StablePersister)


@pytest.fixture
def crawl(tmp_path: Path):
    """``crawl(spider, *scrapy_args, urls=[...], cassette=path)`` -> ``CrawlResult``."""

    def _crawl(spider: str, *args: str, **kwargs) -> CrawlResult:
        return run_crawl(tmp_path, spider, *args, **kwargs)

    return _crawl


def readme_feeds(workdir: Path) -> tuple[str, str]:
    """With run_crawl's out.jsonl, the README's two feeds: the Parquet one in ``workdir``."""
    return ("-O", str(workdir / "out.parquet"))


@fixture_ahead()
def good_history(folder: Path) -> Path:
    """A run history of three README crawls of mitrade, each exit 0 (copy it before adding runs)."""
    for n in range(3):
        workdir = folder / f"crawl{n}"
        result = run_crawl(workdir, "mitrade", *readme_feeds(workdir), "-s", f"HISTORY_URI={folder / 'history'}")
        assert result.returncode == 0, result.log[-2000:]
        assert result.stats["broadsheet/monitor/verdict"] == "learning"
    return folder / "history"


def copy_of_good_history(folder: Path, good_history: Path) -> Path:
    """A copy of ``good_history`` to add runs to: ``folder/history``."""
    shutil.copytree(good_history, folder / "history")
    return folder / "history"


@pytest.fixture
def history(good_history: Path, tmp_path: Path) -> Path:
    """This test's copy of ``good_history``."""
    return copy_of_good_history(tmp_path, good_history)


def crawl_over(tmp_path: Path, history: Path, *args: str, cassette: Path | None = None) -> CrawlResult:
    """The README crawl (its two feeds) in ``tmp_path/crawl``, its history in ``history``."""
    workdir = tmp_path / "crawl"
    return run_crawl(workdir, "mitrade", *readme_feeds(workdir), "-s", f"HISTORY_URI={history}", *args,
                     cassette=cassette)


def mutated_cassette(tmp_path: Path, url: str, replacements: dict[str, str],
                     source: Path = MITRADE_CASSETTE) -> Path:
    """A copy of ``source`` whose recorded body for ``url`` has ``replacements`` applied: a page
    "after a redesign", still replayed through the real downloader."""
    import yaml

    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    hits = 0
    for interaction in data["interactions"]:
        if interaction["request"]["uri"] == url:
            body = interaction["response"]["body"]["string"]
            for old, new in replacements.items():
                assert old in body, f"{old!r} not in the recorded {url}"
                body = body.replace(old, new)
            interaction["response"]["body"]["string"] = body
            interaction["response"]["headers"]["content-length"] = [str(len(body.encode()))]
            hits += 1
    assert hits, f"{url} is not in {source}"
    path = tmp_path / "mutated.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def mitrade_crawl(*args: str, mutated: tuple[str, dict[str, str]] | None = None, **kwargs
                  ) -> Callable[[Path], CrawlResult]:
    """A ``crawl_ahead`` job: ``scrapy crawl mitrade ARGS`` in the job's folder (``run_crawl``'s
    keywords), over the mitrade cassette with one page edited when ``mutated`` (its URL and the
    ``mutated_cassette`` replacements) is given."""
    def job(folder: Path) -> CrawlResult:
        cassette = {"cassette": mutated_cassette(folder, *mutated)} if mutated else {}
        return run_crawl(folder, "mitrade", *args, **kwargs, **cassette)

    return job


IMAGE_MARKUP = (r'<meta property="og:image"[^>]*/>', r'"coverImg":"[^"]*"', r'"image":\s*\[[^\]]*\],?\s*')


def cassette_without_images(tmp_path: Path, source: Path = MITRADE_CASSETTE) -> Path:
    """A copy of ``source`` where every page lost its image (og:image, the page state's
    ``coverImg``, JSON-LD ``image``): a site redesign that quietly empties one field."""
    import re

    import yaml

    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    removed = 0
    for interaction in data["interactions"]:
        body = interaction["response"]["body"]["string"]
        for pattern in IMAGE_MARKUP:
            body, n = re.subn(pattern, '"coverImg":""' if "coverImg" in pattern else "", body)
            removed += n
        interaction["response"]["body"]["string"] = body
        interaction["response"]["headers"]["content-length"] = [str(len(body.encode()))]
    assert removed, f"no image markup in {source}"
    path = tmp_path / "no-images.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def free_port() -> int:
    """A TCP port nothing listens on now, on loopback."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path: Path):
    """A real ``redis-server`` on a free loopback port, without persistence; its URL."""
    import shutil
    import subprocess
    import time

    import redis

    binary = shutil.which("redis-server")
    assert binary, "redis-server is not installed: apt-get install -y redis-server (.ci/run does)"
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline and proc.poll() is None, "redis-server did not start"
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(10)
