"""``python -m scrapy`` in a forked child of a pre-imported interpreter: the suite's crawls without
paying Scrapy's and the project's imports (about 0.9 s of CPU) once per crawl.

A *zygote* (``python -m broadsheet.testing.forkserver``, started from the project root) imports
Scrapy, the components the settings wire, the spiders and the commands, and then only forks: it
installs no reactor, starts no thread and never crawls. Each ``run``/``popen`` of a
``[sys.executable, "-m", "scrapy", ...]`` command from the project root becomes one forked child,
a real OS process with its own pid, which takes the caller's stdin/stdout/stderr, cwd, environment
and file-size limit, resets what the zygote set (signal handlers, its sockets, ``sys.path``, the
project settings module, which reads the environment at import) and runs ``-m scrapy`` as a fresh
interpreter would (``runpy``, exit status from ``SystemExit``, atexit handlers, an uncaught Ctrl-C
ends it by SIGINT). The real downloader, reactor, pipelines and feed storages run in the child.

The test session turns it on (``enable``); elsewhere, and for anything else (another interpreter
or cwd, other ``PYTHON*`` or locale variables, a project file changed since the zygote imported
it, no ``pidfd_open``), ``run``/``popen`` are ``subprocess``. The contract tests that run the
``scrapy`` executable itself (README commands, start-up imports, ``scrapy list``) call
``subprocess`` directly.
"""

from __future__ import annotations

import ast
import atexit
import contextlib
import importlib
import json
import os
import select
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from broadsheet import PROJECT_ROOT

HEADER_LIMIT = 1 << 20  # a request's JSON (argv, cwd, environment) is far below this
_HASH_SEEDS = (None, "0")
"""``PYTHONHASHSEED`` values a child may take from the zygote's fixed seed 0: unset means random, 0 is one draw."""


# ---------------------------------------------------------------- the zygote (its own process)

PACKAGES = ("broadsheet", "spiders", "pipelines", "schemas")
"""The project's packages: the zygote imports their modules and everything they import."""
NEVER_WARMED = ("broadsheet.settings", "broadsheet.testing")
"""Not imported ahead: the settings read the environment at import; the harness is never a crawl's."""


def warm() -> None:
    """Import what crawls import: Scrapy's command line and engine, every component path the
    project settings name, the spiders, the commands, and every module the project imports
    anywhere (also inside functions, where heavy libraries are imported on first use)."""
    import scrapy.cmdline
    from scrapy.crawler import CrawlerProcess  # noqa: F401
    from scrapy.spiderloader import get_spider_loader
    from scrapy.utils.misc import load_object
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    paths = [settings[name] for name in ("LOG_FORMATTER", "SCHEDULER", "DUPEFILTER_CLASS", "STATS_CLASS",
                                         "REQUEST_FINGERPRINTER_CLASS", "SCHEDULER_PRIORITY_QUEUE")]
    for name in ("DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "EXTENSIONS", "ITEM_PIPELINES", "ADDONS",
                 "DOWNLOAD_HANDLERS", "FEED_EXPORTERS", "FEED_STORAGES"):
        paths += [path for path, on in settings.getwithbase(name).items() if on is not None]
    paths += settings.getlist("RETRY_EXCEPTIONS")
    for path in paths:
        with contextlib.suppress(Exception):  # a child that needs it meets the error itself
            load_object(path)
    for module in ("scrapy.core.engine", "scrapy.core.scraper", "scrapy.core.downloader",
                   "twisted.internet.asyncioreactor", *imported_by_the_project()):
        with contextlib.suppress(Exception):
            importlib.import_module(module)
    with contextlib.suppress(BaseException):  # e.g. a refused schema: each child reports it
        get_spider_loader(settings)
    scrapy.cmdline._get_commands_dict(settings, inproject=True)
    assert "twisted.internet.reactor" not in sys.modules, "warming installed a reactor: children could not"


def imported_by_the_project() -> list[str]:
    """The project's modules (but ``NEVER_WARMED``) and the absolute imports in them."""
    names = []
    for package in PACKAGES:
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            module = ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts).removesuffix(".__init__")
            if module.startswith(NEVER_WARMED):
                continue
            names.append(module)
            for node in ast.walk(ast.parse(path.read_bytes())):
                if isinstance(node, ast.Import):
                    names += [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.append(node.module)
    return [name for name in dict.fromkeys(names) if not name.startswith(NEVER_WARMED)]


def project_files() -> dict[str, int]:
    """The project's imported source files and their modification times (ns)."""
    files = {}
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if path and Path(path).resolve().is_relative_to(PROJECT_ROOT):
            files[path] = os.stat(path).st_mtime_ns
    return files


class Zygote:
    """Takes requests on its control socket (a ``SOCK_SEQPACKET`` pair from the caller: one
    message per request, with its reply socket and three stdio fds), forks one child per request,
    and tells the reply socket the child's pid, then its exit status (``subprocess`` style:
    negative for a signal) when it ends. Ends when the caller has closed the control socket and
    its children have ended."""

    def __init__(self, control: socket.socket) -> None:
        self.sys_path = list(sys.path)
        self.control = control
        self.selector = selectors.DefaultSelector()
        self.selector.register(control, selectors.EVENT_READ)
        self.children: dict[int, tuple[int, socket.socket]] = {}  # pidfd -> (pid, reply socket)
        self.settings = ""  # the project settings module, once warmed

    def serve(self) -> None:
        """Until the caller has closed the control socket and every child has ended."""
        serving = True
        while serving or self.children:
            for key, _ in self.selector.select():
                if key.fileobj is not self.control:
                    self.reap(key.fd)
                elif not self.spawn():
                    self.selector.unregister(self.control)
                    serving = False

    def spawn(self) -> bool:
        """Read one request and fork its child; False when the caller has gone."""
        data, fds, _, _ = socket.recv_fds(self.control, HEADER_LIMIT, 4)
        if not data:
            return False
        reply, stdio = socket.socket(fileno=fds[0]), fds[1:]
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            self.forget(reply)
            child(json.loads(data), stdio, self.settings)  # never returns
        for fd in stdio:
            os.close(fd)
        pidfd = os.pidfd_open(pid)
        self.children[pidfd] = (pid, reply)
        self.selector.register(pidfd, selectors.EVENT_READ)
        tell(reply, {"pid": pid})
        return True

    def reap(self, pidfd: int) -> None:
        """A child ended: its status to its caller."""
        pid, reply = self.children.pop(pidfd)
        self.selector.unregister(pidfd)
        os.close(pidfd)
        _, status = os.waitpid(pid, 0)
        tell(reply, {"returncode": os.waitstatus_to_exitcode(status)})
        reply.close()

    def forget(self, reply: socket.socket) -> None:
        """In a child: close what is the zygote's, give back what the zygote changed."""
        self.selector.close()
        self.control.close()
        reply.close()
        for pidfd, (_, other) in self.children.items():
            os.close(pidfd)
            other.close()
        sys.path[:] = self.sys_path


def tell(reply: socket.socket, message: dict[str, int]) -> None:
    """One line to a child's caller (gone callers, timed out or ended, are ignored)."""
    with contextlib.suppress(OSError):
        reply.sendall(json.dumps(message).encode() + b"\n")


def child(request: dict[str, Any], fds: list[int], settings: str) -> None:
    """In the forked child: become the requested ``python -m scrapy`` process, run it, exit
    (``settings``: the project settings module, imported again)."""
    code = 1
    try:
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        if request.get("fsize") is not None:
            _limit(request["fsize"])()
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        tempfile.tempdir = None
        sys.modules.pop(settings, None)  # the project's settings read the environment at import
        if "numpy.random" in sys.modules:
            sys.modules["numpy.random"].seed()  # a fresh process's global generator is seeded afresh
        code = run_main(request["argv"])
    finally:
        os._exit(code)


def run_main(argv: list[str]) -> int:
    """``python -m MODULE ARGS`` for ``argv = ["-m", MODULE, *ARGS]``, as the interpreter ends it:
    the exit status, after atexit handlers and flushing stdio."""
    import runpy
    import traceback

    sys.argv = [argv[1], *argv[2:]]
    interrupted = False
    try:
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exc:
        code = exit_code(exc.code)
    except KeyboardInterrupt:
        traceback.print_exc()
        code, interrupted = 1, True
    except BaseException:  # noqa: BLE001 - the interpreter's own handling of an uncaught error
        sys.excepthook(*sys.exc_info())
        code = 1
    threading._shutdown()  # type: ignore[attr-defined] - joins non-daemon threads, as at exit
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    if interrupted:  # Python 3.8+ ends an uncaught KeyboardInterrupt by SIGINT
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    return code


def exit_code(code: Any) -> int:
    """The status ``sys.exit(code)`` ends an interpreter with (a message is printed, status 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def main() -> None:
    """The zygote: warm, say ``ready`` with the project files it imported, serve."""
    zygote = Zygote(socket.socket(fileno=int(sys.argv[1])))
    warm()
    zygote.settings = os.environ["SCRAPY_SETTINGS_MODULE"]  # as scrapy.cfg named it
    print(json.dumps({"ready": project_files()}), flush=True)
    zygote.serve()


# ---------------------------------------------------------------- the caller (the test process)

class ForkedProcess:
    """A forked child as ``subprocess.Popen`` shows one: ``pid``, ``returncode``, ``poll``,
    ``wait``, ``send_signal``, ``terminate``, ``kill``."""

    def __init__(self, conn: socket.socket, args: list[str]) -> None:
        self.args = args
        self._conn = conn
        self._buffer = b""
        self.pid: int = self._message()["pid"]
        self.returncode: int | None = None

    def _message(self) -> dict[str, Any]:
        """The zygote's next line about this child."""
        while b"\n" not in self._buffer:
            data = self._conn.recv(4096)
            if not data:
                raise OSError("the fork server went away before telling the child's status")
            self._buffer += data
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def _ended(self) -> None:
        self.returncode = self._message()["returncode"]
        self._conn.close()

    def poll(self) -> int | None:
        """The exit status, or None while it runs."""
        if self.returncode is None and select.select([self._conn], [], [], 0)[0]:
            self._ended()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the end (``subprocess.TimeoutExpired`` after ``timeout`` s)."""
        if self.returncode is None:
            self._conn.settimeout(timeout)
            try:
                self._ended()
            except TimeoutError:
                raise subprocess.TimeoutExpired(self.args, timeout) from None
            finally:
                if self.returncode is None:
                    self._conn.settimeout(None)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        """Signal the child (unless it has ended)."""
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        """SIGTERM."""
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL."""
        self.send_signal(signal.SIGKILL)


class Unserved(Exception):
    """The zygote could not take the command (it was restarting): run it with ``subprocess``."""


class ForkServer:
    """The test process's handle on a zygote (started on first use, restarted when a project file it
    imported has changed, stopped with the process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._retired: list[subprocess.Popen] = []  # stopped zygotes, ending with their last children
        self._files: dict[str, int] = {}
        self._control: socket.socket | None = None  # the caller's end of the zygote's control socket
        self._startup: dict[str, str] = {}  # the environment the zygote's interpreter started with
        self.enabled = False  # ``enable``: the test session's choice; commands crawl with ``subprocess``
        self.disabled = not hasattr(os, "pidfd_open")
        atexit.register(self.close)

    def serves(self, cmd: list[str], cwd: Any, env: dict[str, str] | None) -> bool:
        """Whether ``cmd`` from ``cwd`` with ``env`` is a ``python -m scrapy`` a child can be (the
        zygote started when needed)."""
        if not self.enabled or self.disabled or list(cmd[:3]) != [sys.executable, "-m", "scrapy"]:
            return False
        if cwd is None or Path(cwd).resolve() != PROJECT_ROOT:
            return False
        env = os.environ if env is None else env
        if env.get("PYTHONHASHSEED") not in _HASH_SEEDS:
            return False
        return self._started(startup_environment(os.environ)) == startup_environment(env)

    def _started(self, startup: dict[str, str]) -> dict[str, str] | None:
        """The startup environment of the zygote, started or restarted (with ``startup``) when
        needed; None when it cannot start (then ``subprocess`` runs everything)."""
        with self._lock:
            if self._proc is not None and (self._proc.poll() is not None or self._stale()):
                self._stop()
            if self._proc is None and not self.disabled:
                self._control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                with theirs:
                    self._proc = subprocess.Popen(
                        [sys.executable, "-m", "broadsheet.testing.forkserver", str(theirs.fileno())],
                        cwd=PROJECT_ROOT, env={**os.environ, "PYTHONHASHSEED": "0"}, stdin=subprocess.DEVNULL,
                        stdout=subprocess.PIPE, pass_fds=[theirs.fileno()])
                line = self._proc.stdout.readline()
                if not line:  # it failed to warm (its traceback is on stderr)
                    self._stop()
                    self.disabled = True
                    return None
                self._files, self._startup = json.loads(line)["ready"], startup
            return None if self.disabled else self._startup

    def _stale(self) -> bool:
        """Whether a project file the zygote imported has changed or gone since."""
        for path, mtime in self._files.items():
            try:
                if os.stat(path).st_mtime_ns != mtime:
                    return True
            except FileNotFoundError:
                return True
        return False

    def _stop(self) -> None:
        """Stop taking requests: the zygote ends when its running children have."""
        if self._proc is not None:
            self._control.close()
            self._retired.append(self._proc)
            self._proc = None

    def close(self) -> None:
        """Stop the zygote, and wait for it (and so for its running children)."""
        with self._lock:
            self._stop()
            for proc in self._retired:
                proc.wait()
                proc.stdout.close()
            self._retired.clear()

    def popen(self, cmd: list[str], *, cwd: Any, env: dict[str, str] | None = None, stdin: Any = None,
              stdout: Any = None, stderr: Any = None, fsize: int | None = None) -> ForkedProcess:
        """Start ``cmd`` as a forked child; ``stdin``/``stdout``/``stderr`` as ``subprocess`` takes
        them (None, ``DEVNULL``, a file or fd; ``stderr=STDOUT``), ``fsize`` its RLIMIT_FSIZE."""
        opened: list[int] = []

        def fd_of(stream: Any, default: int) -> int:
            if stream is None:
                return default
            if stream == subprocess.DEVNULL:
                opened.append(os.open(os.devnull, os.O_RDWR))
                return opened[-1]
            return stream if isinstance(stream, int) else stream.fileno()

        out = fd_of(stdout, 1)
        fds = [fd_of(stdin, 0), out, out if stderr == subprocess.STDOUT else fd_of(stderr, 2)]
        request = json.dumps({"argv": list(cmd[1:]), "cwd": str(cwd), "env": dict(os.environ if env is None else env),
                              "fsize": fsize}).encode()
        mine, theirs = socket.socketpair()
        try:
            with self._lock, theirs:
                if self._proc is None:  # restarting for a changed project file: this one runs as a subprocess
                    raise Unserved("the zygote is restarting")
                socket.send_fds(self._control, [request], [theirs.fileno(), *fds])
            return ForkedProcess(mine, list(cmd))
        except BaseException:
            mine.close()
            raise
        finally:
            for fd in opened:
                os.close(fd)

    def run(self, cmd: list[str], *, cwd: Any, env: dict[str, str] | None = None, timeout: float | None = None,
            fsize: int | None = None, text: bool = True) -> subprocess.CompletedProcess:
        """``subprocess.run(cmd, capture_output=True)`` as a forked child."""
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        try:
            proc = self.popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out_w, stderr=err_w,
                              fsize=fsize)
        finally:
            os.close(out_w)
            os.close(err_w)
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            stdout, stderr = read_both(out_r, err_r, deadline)
            proc.wait(None if deadline is None else max(deadline - time.monotonic(), 0.001))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise subprocess.TimeoutExpired(cmd, timeout) from None
        if text:
            return subprocess.CompletedProcess(cmd, proc.returncode, stdout.decode(), stderr.decode())
        return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


def startup_environment(env: Any) -> dict[str, str]:
    """The variables an interpreter reads as it starts (``PYTHON*`` but the hash seed, locale)."""
    return {key: value for key, value in env.items()
            if (key.startswith(("PYTHON", "LC_")) or key == "LANG") and key != "PYTHONHASHSEED"}


def read_both(out: int, err: int, deadline: float | None) -> tuple[bytes, bytes]:
    """Everything written to two pipes until both close (their read ends are closed here)."""
    chunks: dict[int, list[bytes]] = {out: [], err: []}
    with selectors.DefaultSelector() as selector:
        for fd in chunks:
            selector.register(fd, selectors.EVENT_READ)
        try:
            while selector.get_map():
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise subprocess.TimeoutExpired("read", 0)
                for key, _ in selector.select(left):
                    data = os.read(key.fd, 65536)
                    if data:
                        chunks[key.fd].append(data)
                    else:
                        selector.unregister(key.fd)
        finally:
            os.close(out)
            os.close(err)
    return b"".join(chunks[out]), b"".join(chunks[err])


_SERVER = ForkServer()


def enable() -> None:
    """Let ``run`` and ``popen`` fork (the test session does; elsewhere they are ``subprocess``)."""
    _SERVER.enabled = True


def run(cmd: list[str], *, cwd: Any, env: dict[str, str] | None = None, timeout: float | None = None,
        fsize: int | None = None) -> subprocess.CompletedProcess:
    """``subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)``,
    as a forked child when the fork server ``serves`` it (``fsize``: the child's RLIMIT_FSIZE)."""
    if _SERVER.serves(cmd, cwd, env):
        try:
            return _SERVER.run(cmd, cwd=cwd, env=env, timeout=timeout, fsize=fsize)
        except Unserved:
            pass
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          preexec_fn=None if fsize is None else _limit(fsize))


def popen(cmd: list[str], *, cwd: Any, env: dict[str, str] | None = None, stdout: Any = None,
          stderr: Any = None, fsize: int | None = None) -> ForkedProcess | subprocess.Popen:
    """``subprocess.Popen(cmd, ...)`` (stdin from /dev/null), as a forked child when the fork
    server ``serves`` it."""
    if _SERVER.serves(cmd, cwd, env):
        try:
            return _SERVER.popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                 fsize=fsize)
        except Unserved:
            pass
    return subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                            preexec_fn=None if fsize is None else _limit(fsize))


def _limit(fsize: int) -> Callable[[], None]:
    """What sets a child's RLIMIT_FSIZE to ``fsize`` bytes (writes past it fail with ``EFBIG``)."""
    import resource

    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))


if __name__ == "__main__":
    main()
