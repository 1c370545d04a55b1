"""Start the reference LangGraph server (`langgraph dev`, in-memory runtime)
on a free loopback port, wait until it answers, and stop it cleanly.

    python reference_server.py                 # print the URL, serve until Ctrl-C / SIGTERM
    python reference_server.py -- CMD ARGS...  # run CMD with {url} and $REFERENCE_URL set, then stop
    python reference_server.py --project probe # another project dir (default: reference/)

As a library: ``with ReferenceServer(project=...) as srv: ... srv.url ...``.

The project (``reference/`` unless ``--project`` names another directory,
relative paths resolving against this one) is copied into a fresh temporary
directory, symlinks dereferenced, and the server runs there, so the in-memory runtime's ``.langgraph_api/``
persistence starts empty on every start and never lands in the repo.
Nothing reaches the network: analytics, the version check, LangSmith tracing
and the browser are switched off, stdin is /dev/null, and it works with CI=true.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
REFERENCE_DIR = HERE / "reference"
PROBE_DIR = HERE / "probe"

# Variables removed from the server's environment: with any of them set, the
# server would try to reach LangSmith (tracing, license, metadata).
_DROP_ENV = (
    "LANGSMITH_API_KEY",
    "LANGCHAIN_API_KEY",
    "LANGGRAPH_API_KEY",
    "LANGSMITH_ENDPOINT",
    "LANGCHAIN_ENDPOINT",
    "LANGGRAPH_CLOUD_LICENSE_KEY",
    "LANGSMITH_CONTROL_PLANE_API_KEY",
    "LANGGRAPH_AUTH_TYPE",
)
_OFFLINE_ENV = {
    "LANGGRAPH_CLI_NO_ANALYTICS": "1",  # langgraph_cli/analytics.py
    "LANGGRAPH_NO_VERSION_CHECK": "true",  # langgraph_api/cli.py: no PyPI query
    "LANGSMITH_TRACING": "false",
    "LANGSMITH_TRACING_V2": "false",
    "LANGCHAIN_TRACING_V2": "false",
    "LANGCHAIN_TRACING": "false",
    "PYTHONUNBUFFERED": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
}


def langgraph_executable() -> str:
    exe = os.environ.get("WASMGATE_REFERENCE_LANGGRAPH") or str(REPO / ".venv" / "bin" / "langgraph")
    if not os.access(exe, os.X_OK):
        raise SystemExit(
            f"reference server: {exe} not found; run `source scripts/bootstrap.sh && ensure_reference_server`"
        )
    return exe


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def project_dir(project: str | os.PathLike | None) -> Path:
    """The project directory: REFERENCE_DIR by default; a relative path is tried against HERE first."""
    if project is None:
        return REFERENCE_DIR
    path = Path(project)
    if not path.is_absolute() and (HERE / path).is_dir():
        path = HERE / path
    if not (path / "langgraph.json").is_file():
        raise SystemExit(f"reference server: {path} is not a project directory (no langgraph.json)")
    return path.resolve()


class ReferenceServer:
    def __init__(
        self,
        port: int | None = None,
        startup_timeout: float = 180.0,
        log_path: str | None = None,
        project: str | os.PathLike | None = None,
    ):
        self.project_dir = project_dir(project)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.startup_timeout = startup_timeout
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.workdir: str | None = None
        self.startup_seconds: float | None = None
        self._log = None

    def start(self) -> "ReferenceServer":
        exe = langgraph_executable()
        self.workdir = tempfile.mkdtemp(prefix="wasmgate-reference-")
        project = Path(self.workdir) / "project"
        # symlinks=False (the default) copies what a link points to: probe/graph.py is a link
        shutil.copytree(self.project_dir, project, ignore=shutil.ignore_patterns("__pycache__", ".langgraph_api"))
        if self.log_path is None:
            self.log_path = str(Path(self.workdir) / "server.log")
        self._log = open(self.log_path, "wb")
        env = {k: v for k, v in os.environ.items() if k not in _DROP_ENV}
        env.update(_OFFLINE_ENV)
        cmd = [
            exe, "dev",
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--no-browser",
            "--no-reload",
            "--config", str(project / "langgraph.json"),
        ]
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            cmd,
            cwd=project,  # auth.path and graph paths resolve against the working directory
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() reaches any children
        )
        try:
            self._wait_ready(t0)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - t0
        return self

    def _wait_ready(self, t0: float) -> None:
        deadline = t0 + self.startup_timeout
        delay = 0.1
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"langgraph dev exited with {self.proc.returncode} before answering /ok\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(self.url + "/ok", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"langgraph dev did not answer {self.url}/ok within {self.startup_timeout:.0f}s\n{self.log_tail()}"
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 1.0)

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = Path(self.log_path).read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 15.0) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            # The child leads its own process group (start_new_session), whose id is its pid.
            for sig, wait in ((signal.SIGINT, timeout), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.workdir is not None:
            keep = os.environ.get("WASMGATE_KEEP_REFERENCE_DIR")
            if keep:
                print(f"reference server: kept {self.workdir}", file=sys.stderr)
            else:
                shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self) -> "ReferenceServer":
        return self.start() if self.proc is None else self

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=None, help="default: a free ephemeral port")
    ap.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for /ok")
    ap.add_argument("--log", default=None, help="write the server log here (default: inside the temp dir)")
    ap.add_argument("--project", default=None,
                    help="project directory to serve (default: reference/; e.g. probe)")
    ap.add_argument("cmd", nargs=argparse.REMAINDER, help="-- CMD ARGS... to run against the server")
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd

    srv = ReferenceServer(port=args.port, startup_timeout=args.timeout, log_path=args.log, project=args.project)
    stop = {"flag": False}

    def on_signal(signum, frame):
        stop["flag"] = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        srv.start()
        print(srv.url, flush=True)
        where = f"log: {srv.log_path}" if args.log else "log: --log FILE to keep it"
        print(f"reference server: ready in {srv.startup_seconds:.1f}s ({where})", file=sys.stderr, flush=True)
        if cmd:
            env = dict(os.environ, REFERENCE_URL=srv.url)
            return subprocess.call([c.replace("{url}", srv.url) for c in cmd], env=env)
        while srv.proc is not None and srv.proc.poll() is None:
            time.sleep(0.5)
        print(f"reference server: exited\n{srv.log_tail()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        srv.stop()


if __name__ == "__main__":
    sys.exit(main())
