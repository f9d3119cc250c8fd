"""Tests never reach the network except loopback, and never see the developer's env."""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from summarize.testing import FakeOpenAIServer
from summarize.testing.batch_api import FakeBatchAPI
from tests.provider_fakes import make_corpus, responder

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise OSError(f"test tried to reach {host}: only loopback is allowed")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SUMMARIZE_MODEL", "SUMMARIZE_LOCAL_MODEL"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    """A loopback OpenAI-compatible server; script it with enqueue()."""
    with FakeOpenAIServer() as srv:
        yield srv


@pytest.fixture
def batch_api() -> Iterator[FakeBatchAPI]:
    """A loopback Files + Batches API (and live chat endpoint) answering tests/provider_fakes' articles."""
    with FakeBatchAPI(responder=responder) as api:
        yield api


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Articles that need every kind of round: tests/provider_fakes.make_corpus."""
    src = tmp_path / "in"
    make_corpus(src)
    return src


# --- Ray --------------------------------------------------------------------------------------
# One small Ray at a time: 2 CPUs, a 150 MB object store, no dashboard, no usage report, every
# process on loopback; the workers import this repository's tests (pickled helpers).

REPO = Path(__file__).resolve().parent.parent
RAY_OBJECT_STORE = 150 * 1024 * 1024


@contextmanager
def ray_environment(**extra: str) -> Iterator[None]:
    """The environment Ray processes started inside the block inherit. Only these keys are put
    back afterwards: Ray sets its own (RAY_AUTH_MODE) for the rest of the process, and a later
    Ray in this process must see them."""
    # pytest imports test modules both as `tests.x` and as `x`: workers unpickle either.
    paths = (str(REPO), str(REPO / "tests"), os.environ.get("PYTHONPATH"))
    ours = {"RAY_USAGE_STATS_ENABLED": "0", "PYTHONPATH": os.pathsep.join(p for p in paths if p), **extra}
    saved = {k: os.environ.get(k) for k in ours}
    os.environ.update(ours)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="module")
def local_ray() -> Iterator[Any]:
    """A local Ray for one test module, shut down after it."""
    ray = pytest.importorskip("ray")
    ray.shutdown()
    with ray_environment():
        ray.init(
            num_cpus=2,
            object_store_memory=RAY_OBJECT_STORE,
            include_dashboard=False,
            _node_ip_address="127.0.0.1",
            logging_level=logging.ERROR,
            log_to_driver=False,
        )
        try:
            yield ray
        finally:
            ray.shutdown()
