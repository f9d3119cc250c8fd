"""Tests never reach the network except loopback, and never see the developer's env."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
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
