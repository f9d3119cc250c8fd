"""llama.cpp's own HTTP server on 127.0.0.1: a real local endpoint for tests and benchmarks.

The xllamacpp wheel installed for the embedded model holds llama.cpp's server; here it runs
in a child process listening on a loopback port, one slot and few threads, as a person
with a CPU server would run it. The child is this module's `main`:

    with LlamaHTTPServer(model_path, threads=2) as srv:
        summarize file seed.txt --base-url srv.base_url --model qwen

Stopping the `with` block ends the child (SIGTERM, then SIGKILL after a grace period).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

_READY_SECONDS = 180.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on (now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LlamaHTTPServer:
    """llama.cpp's server for MODEL on 127.0.0.1, in a child process, while a `with` block runs."""

    def __init__(self, model: Path, *, threads: int = 2, ctx: int = 8192, slots: int = 1) -> None:
        self.model = Path(model)
        self.threads, self.ctx, self.slots = threads, ctx, slots
        self.port = free_port()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        """The /v1 URL to give the openai client or --base-url."""
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> LlamaHTTPServer:
        args = [str(self.model), str(self.port), str(self.threads), str(self.ctx), str(self.slots)]
        env = {**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}
        self._proc = subprocess.Popen([sys.executable, "-m", __name__, *args], env=env)
        self._wait_ready()
        return self

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.close()

    def close(self) -> None:
        """Stop the server process."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)

    def _wait_ready(self) -> None:
        end = time.monotonic() + _READY_SECONDS
        while time.monotonic() < end:
            if self._proc is not None and self._proc.poll() is not None:
                raise RuntimeError(f"llama.cpp's server exited with {self._proc.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.2)
        self.close()
        raise RuntimeError(f"llama.cpp's server did not come up in {_READY_SECONDS:g} s")


def main(argv: list[str]) -> None:
    """Serve MODEL PORT THREADS CTX SLOTS until terminated."""
    import signal

    from summarize.backends.llama_server import _import_xllamacpp

    model, port, threads, ctx, slots = argv
    xlc = _import_xllamacpp()
    p = xlc.CommonParams()
    p.model.path = model
    p.n_ctx = int(ctx)
    p.cpuparams.n_threads = p.cpuparams_batch.n_threads = int(threads)
    p.n_parallel = int(slots)
    p.warmup = False
    p.ui = False
    p.hostnames = ["127.0.0.1"]
    p.port = int(port)
    p.verbosity = 0
    server = xlc.Server(p)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            time.sleep(3600)
    finally:
        del server


if __name__ == "__main__":
    main(sys.argv[1:])
