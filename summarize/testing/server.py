"""A loopback OpenAI-compatible server: a real HTTP server on 127.0.0.1 for the real SDK."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

from summarize.text import sentences


@dataclass
class Reply:
    """One scripted HTTP answer of FakeOpenAIServer."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    delay: float = 0.0
    drop: bool = False
    """Close the connection without answering."""
    trickle: float = 0.0
    """Send the body a byte at a time with this pause (a slow server)."""
    truncate: int | None = None
    """Send the headers (with the full content-length) and only this many body bytes, then
    close the connection: a reset in the middle of a response."""


def send_reply(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
    """Answer HANDLER's request with REPLY: its delay, then a drop, a cut body, a trickle or the body."""
    time.sleep(reply.delay)
    if reply.drop:
        handler.connection.shutdown(socket.SHUT_RDWR)
        handler.close_connection = True
        return
    payload = reply.body.encode() if isinstance(reply.body, str) else json.dumps(reply.body).encode()
    handler.send_response(reply.status)
    handler.send_header("content-type", reply.content_type)
    handler.send_header("content-length", str(len(payload)))
    for k, v in reply.headers.items():
        handler.send_header(k, v)
    handler.end_headers()
    if reply.truncate is not None:
        handler.wfile.write(payload[: reply.truncate])
        handler.wfile.flush()
        handler.connection.shutdown(socket.SHUT_RDWR)
        handler.close_connection = True
        return
    if reply.trickle:
        for i in range(len(payload)):
            handler.wfile.write(payload[i : i + 1])
            handler.wfile.flush()
            time.sleep(reply.trickle)
    else:
        handler.wfile.write(payload)


def chat_completion(
    content: str | None,
    *,
    finish_reason: str = "stop",
    prompt_tokens: int = 100,
    completion_tokens: int = 50,
    tool_call: bool = False,
    refusal: str | None = None,
    model: str = "fake-model",
) -> dict[str, Any]:
    """A chat.completion body as OpenAI sends it."""
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": refusal}
    if tool_call:
        message["content"] = None
        message["tool_calls"] = [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "article_summary", "arguments": content},
            }
        ]
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


Responder = Callable[[dict[str, Any]], Reply]


class _Server(ThreadingHTTPServer):
    # Many clients connect at once in batch tests; the default backlog of 5 refuses some.
    request_queue_size = 128


_L = TypeVar("_L", bound="Loopback")


class Loopback:
    """An HTTP server on 127.0.0.1, served from a thread while a `with` block runs."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._server = _Server(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        """The /v1 URL to give the openai client."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self: _L) -> _L:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()


class FakeOpenAIServer(Loopback):
    """A real HTTP server on 127.0.0.1 speaking POST /v1/chat/completions.

    Scripted replies are served first, in order; then RESPONDER (a function of the
    request body) answers. Every request body is recorded in `requests`; `peak_in_flight`
    is the most requests it was answering at once (what a rate limit bounds).
    """

    def __init__(self, responder: Responder | None = None, latency: float = 0.0) -> None:
        self.script: deque[Reply] = deque()
        self.responder = responder
        self.latency = latency
        self.requests: list[dict[str, Any]] = []
        self.headers_seen: list[dict[str, str]] = []
        self.in_flight = 0
        self.peak_in_flight = 0
        self._lock = threading.Lock()
        super().__init__(self._handler())

    def enqueue(self, *replies: Reply) -> None:
        """Script the next answers."""
        with self._lock:
            self.script.extend(replies)

    def _next(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            self.requests.append(body)
            if self.script:
                return self.script.popleft()
        if self.responder is None:
            return Reply(500, {"error": {"message": "no scripted reply"}})
        return self.responder(body)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes: without this, Nagle plus delayed
            # ACK adds ~40 ms to every request.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                with server._lock:
                    server.in_flight += 1
                    server.peak_in_flight = max(server.peak_in_flight, server.in_flight)
                try:
                    self._answer()
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up (a timeout test): not an error
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    body = {"_raw": raw.decode("utf-8", "replace")}
                with server._lock:
                    server.headers_seen.append(dict(self.headers))
                reply = server._next(body)
                time.sleep(server.latency)
                send_reply(self, reply)

        return Handler


def ok(content: str, **kw: Any) -> Reply:
    """A 200 chat completion whose message content is CONTENT."""
    return Reply(200, chat_completion(content, **kw))


def echo_responder(body: dict[str, Any]) -> Reply:
    """Answer any article with a valid, grounded draft built from the article in the request.

    The summary and a reporter's claim are the article's first sentence, quoted verbatim,
    so the reply passes validation and grounding for whatever article was sent. For batch
    tests and benchmarks: `FakeOpenAIServer(responder=echo_responder, latency=0.5)`.
    """
    messages = body.get("messages") or []
    user = next((m.get("content") or "" for m in messages if m.get("role") == "user"), "")
    found = re.search(r"<article>\n?(.*?)\n?</article>", user, re.S)
    article = found.group(1) if found else user
    sentence = next(iter(sentences(article)), "")[:300].strip()
    claims = []
    if sentence:
        claims.append(
            {
                "speaker": None,
                "text": sentence,
                "kind": "reporter_assertion",
                "cue": None,
                "hedged": False,
                "quote": sentence,
            }
        )
    draft = {"summary": sentence or "(empty)", "actors": [], "stances": [], "claims": claims}
    content = json.dumps(draft, ensure_ascii=False)
    prompt_chars = sum(len(str(m.get("content") or "")) for m in messages)
    return ok(content, prompt_tokens=prompt_chars // 4 + 1, completion_tokens=len(content) // 4 + 1)
