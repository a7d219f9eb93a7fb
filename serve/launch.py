"""Run `ragtune serve` (as `python -m ragtune.serve`) on a free loopback port: for tests and benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


class ServerDidNotStart(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(url: str, proc: subprocess.Popen, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise ServerDidNotStart(f"{what} {'exited' if proc.poll() is not None else 'did not answer'} {url}")
        time.sleep(0.3)


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


@contextmanager
def running_llama_server(gguf: Path, *, threads: int = 2, n_ctx: int = 2048, log=subprocess.DEVNULL,
                         timeout_s: float = 180) -> Iterator[tuple[str, subprocess.Popen]]:  # fmt: skip
    """(OpenAI base URL …/v1, process) of llama-cpp-python's own server on `gguf`: the third-party generator that
    `serve.generator_url` points at in tests and benchmarks."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1",
                             "--port", str(port), "--n_ctx", str(n_ctx), "--n_threads", str(threads), "--verbose", "False"],
                            stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_ready(base + "/models", proc, timeout_s, "llama.cpp server")
        yield base, proc
    finally:
        _stop(proc)


@contextmanager
def running_server(overrides: list[str], *, config: str = "config.yaml", wait_for: str = "/ready", log=subprocess.DEVNULL,
                   timeout_s: float = 300) -> Iterator[tuple[str, subprocess.Popen]]:  # fmt: skip
    """(base URL, process) of a server started with these config overrides, once `wait_for` answers 200.

    Raises ServerDidNotStart when the process exits or `timeout_s` passes first; the server is
    terminated when the block ends.
    """
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "ragtune.serve", "--config", config, f"serve.port={port}", *overrides],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base + wait_for, proc, timeout_s, "the server")
        yield base, proc
    finally:
        _stop(proc)
