"""Shared fixtures. Tests that read ../shared skip where it is absent, and fail in CI (KGBUILD_REQUIRE_SHARED=1)."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
import types
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests check behaviour, not speed: a busy shared machine must not fail them on a per-example deadline.
settings.register_profile("kgbuild", deadline=None)
settings.load_profile("kgbuild")

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("KGBUILD_SHARED", ROOT.parent / "shared"))


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip (fail in CI) when it is not there."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        reason = f"{path} is absent: the shared articles and spec are not beside this clone"
        if os.environ.get("KGBUILD_REQUIRE_SHARED") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture
def shared() -> callable:
    return shared_path


def tool(name: str) -> types.ModuleType:
    """The script tools/NAME.py, loaded as a module (tools/ is no package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measured(env: dict[str, str]) -> dict[str, str]:
    """`env` for a child process that coverage measures too, when this test run is measured (pytest --cov): the
    standard COVERAGE_PROCESS_START (coverage's .pth file starts it in every Python process, children included), and
    the data file by absolute path, so a child in another folder writes beside this process's for combining."""
    import coverage

    cov = coverage.Coverage.current()
    if cov is None or not cov.config.config_file:
        return env
    return {**env, "COVERAGE_PROCESS_START": cov.config.config_file,
            "COVERAGE_FILE": os.path.abspath(cov.config.data_file)}


class ServerProcess:
    """A real server in a child process, its output in `log`; ready when `ready_url` answers 2xx."""

    def __init__(self, args: list[str], ready_url: str, log: Path, env: dict | None = None) -> None:
        self._log = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=self._log, env=measured(env or dict(os.environ)))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(log.read_text())
            try:
                with urllib.request.urlopen(ready_url, timeout=2):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the server did not start: " + log.read_text())

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


def kgbuild_serve(store: Path, port: int, log: Path, **options: object) -> ServerProcess:
    """`kgbuild.endpoint.serve(store, port=port, **options)` in a child process, from this checkout's sources."""
    args = "".join(f", {k}={v!r}" for k, v in options.items())
    code = f"from kgbuild.endpoint import serve; serve({str(store)!r}, port={port}{args})"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    return ServerProcess([sys.executable, "-c", code], f"http://127.0.0.1:{port}/health", log, env)


class EndpointServer:
    """`kgbuild.endpoint.serve(store, **options)` in a child process on a free loopback port; `base` is its URL."""

    def __init__(self, store: Path, log: Path, **options: object) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._process = kgbuild_serve(store, self.port, log, **options)

    def stop(self) -> None:
        self._process.stop()


def http(method: str, url: str, *, params: dict | None = None, data: bytes | str | None = None,
         headers: dict | None = None, timeout: float = 60) -> tuple[int, dict[str, str], bytes]:
    """One request to a server on loopback: (status, headers by lower-case name, body); an error status is
    answered like any other, not raised."""
    if params:
        url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params, doseq=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


@dataclass
class CliResult:
    """What `kgbuild ARGS` did: exit code and the two streams (as subprocess.CompletedProcess names them)."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str, stdin: str | bytes | None = None, env: dict[str, str] | None = None) -> CliResult:
    """`kgbuild ARGS` in this process through click's CliRunner; tests start a subprocess only where a real process
    matters (kill, signals, a server). A crash is raised with its traceback, never taken for an exit code."""
    from click.testing import CliRunner

    from kgbuild.cli import main

    result = CliRunner().invoke(main, [str(a) for a in args], input=stdin, env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return CliResult(result.exit_code, result.stdout, result.stderr)


def _oxigraph_binary() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(found).exists():
        pytest.skip("the oxigraph server binary is not installed (pip install oxigraph)")
    return found


@contextlib.contextmanager
def running_oxigraph(folder: Path) -> Iterator[str]:
    """A fresh Oxigraph server (the `oxigraph` PyPI package's binary) on a loopback port, storing in `folder`."""
    port = free_port()
    args = [_oxigraph_binary(), "serve", "--location", str(folder / "oxigraph"), "--bind", f"127.0.0.1:{port}"]
    proc = ServerProcess(args, f"http://127.0.0.1:{port}/query?query=ASK%7B%7D", folder / "oxigraph.log")
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.stop()


@pytest.fixture
def oxigraph_server(tmp_path: Path) -> Iterator[str]:
    with running_oxigraph(tmp_path) as url:
        yield url
