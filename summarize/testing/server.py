"""A loopback OpenAI-compatible server: a real HTTP server on 127.0.0.1 for the real SDK."""

from __future__ import annotations

import contextlib
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
    stream: bool | None = None
    """None: stream a chat completion as server-sent events when the request asks
    (`"stream": true`), as OpenAI does; False: answer with the plain body anyway (a server
    that cannot stream)."""
    pieces: list[str] | None = None
    """The reply's content as streamed chunks (about a token each); default: the body's
    content, cut into words. A plain answer holds them joined."""
    every: float = 0.0
    """Seconds to generate each piece: between streamed chunks, or all of them before a
    plain answer (how a real server spends its time)."""
    drop_after: int | None = None
    """Close the connection after this many streamed pieces: a dropped stream."""


@dataclass
class Served:
    """What FakeOpenAIServer did for one request (in `served`, in the order of `requests`)."""

    streamed: bool = False
    pieces: int = 0
    """Pieces of the reply generated: sent, for a stream (a plain answer generates them all)."""
    client_gone: bool = False
    """The client closed the connection before the answer was written."""


def send_reply(
    handler: BaseHTTPRequestHandler, reply: Reply, *, stream: bool = False, served: Served | None = None
) -> None:
    """Answer HANDLER's request with REPLY: its delay, then a drop, a cut body, a trickle or the body.

    With STREAM (the request asked for it) a chat completion goes out as server-sent events;
    byte-level faults (truncate, trickle) and `Reply.stream=False` are answered plain.
    """
    served = served or Served()
    time.sleep(reply.delay)
    if reply.drop:
        handler.connection.shutdown(socket.SHUT_RDWR)
        handler.close_connection = True
        return
    if stream and _streamable(reply):
        served.streamed = True
        _send_events(handler, reply, served)
        return
    body = reply.body
    if reply.pieces is not None and isinstance(body, dict) and body.get("choices"):
        body = _with_content(body, "".join(reply.pieces))
    generated = reply.pieces if reply.pieces is not None else _pieces(_content(body))
    time.sleep(reply.every * len(generated))  # a plain answer is written once all is generated
    served.pieces = len(generated)
    payload = body.encode() if isinstance(body, str) else json.dumps(body).encode()
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


def _streamable(reply: Reply) -> bool:
    plain = reply.stream is False or reply.trickle or reply.truncate is not None
    return not plain and reply.status == 200 and isinstance(reply.body, dict) and "choices" in reply.body


def _content(body: Any) -> str:
    """The text a chat completion body answers with (a tool call's arguments in tools mode)."""
    if not isinstance(body, dict) or not body.get("choices"):
        return ""
    message = body["choices"][0].get("message") or {}
    calls = message.get("tool_calls")
    return str((calls[0]["function"]["arguments"] if calls else message.get("content")) or "")


def _with_content(body: dict[str, Any], content: str) -> dict[str, Any]:
    message = dict(body["choices"][0]["message"])
    if message.get("tool_calls"):
        call = message["tool_calls"][0]
        message["tool_calls"] = [{**call, "function": {**call["function"], "arguments": content}}]
    else:
        message["content"] = content
    return {**body, "choices": [{**body["choices"][0], "message": message}]}


def _pieces(content: str) -> list[str]:
    """CONTENT cut into words with their leading whitespace: about a token a piece."""
    return re.findall(r"\s*\S+|\s+", content)


def _send_events(handler: BaseHTTPRequestHandler, reply: Reply, served: Served) -> None:
    """REPLY's chat completion as chat.completion.chunk events, a piece every `reply.every` s."""
    body: dict[str, Any] = reply.body
    handler.send_response(reply.status)
    handler.send_header("content-type", "text/event-stream")
    handler.send_header("transfer-encoding", "chunked")
    for k, v in reply.headers.items():
        handler.send_header(k, v)
    handler.end_headers()
    base = {
        "id": body.get("id", "chatcmpl-fake"),
        "object": "chat.completion.chunk",
        "created": body.get("created", 0),
        "model": body.get("model", "fake-model"),
    }

    def event(data: Any) -> None:
        _write_chunk(handler, b"data: " + json.dumps(data).encode() + b"\n\n")

    def delta(change: dict[str, Any], finish: str | None = None) -> None:
        event({**base, "choices": [{"index": 0, "delta": change, "finish_reason": finish}]})

    choices = body.get("choices") or []
    if choices:
        message = choices[0].get("message") or {}
        calls = message.get("tool_calls")
        if calls:
            call = calls[0]
            start = {"index": 0, "id": call.get("id"), "type": "function"}
            delta(
                {
                    "role": "assistant",
                    "tool_calls": [{**start, "function": {"name": call["function"]["name"]}}],
                }
            )
        else:
            delta({"role": "assistant", "content": ""})
        if message.get("refusal"):
            delta({"refusal": message["refusal"]})
        pieces = reply.pieces if reply.pieces is not None else _pieces(_content(body))
        for i, piece in enumerate(pieces):
            if reply.drop_after is not None and i >= reply.drop_after:
                handler.connection.shutdown(socket.SHUT_RDWR)
                handler.close_connection = True
                return
            time.sleep(reply.every)
            if calls:
                delta({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
            else:
                delta({"content": piece})
            served.pieces += 1
        delta({}, choices[0].get("finish_reason"))
    if body.get("usage"):
        event({**base, "choices": [], "usage": body["usage"]})
    _write_chunk(handler, b"data: [DONE]\n\n")
    _write_chunk(handler, b"")


def _write_chunk(handler: BaseHTTPRequestHandler, data: bytes) -> None:
    """One chunk of a chunked-encoded body (an empty one ends the body)."""
    handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
    handler.wfile.flush()


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
    request body) answers. Every request body is recorded in `requests`, and what was done
    for it in `served`; `peak_in_flight` is the most requests it was answering at once
    (what a rate limit bounds). A request that asks to stream gets server-sent events.

    With SLOTS, at most that many requests are answered at once and the others wait, as on
    a llama.cpp server with that many slots; like llama-cpp-python's server, it notices a
    client that left only when it writes to it.
    """

    def __init__(
        self, responder: Responder | None = None, latency: float = 0.0, slots: int | None = None
    ) -> None:
        self.script: deque[Reply] = deque()
        self.responder = responder
        self.latency = latency
        self.requests: list[dict[str, Any]] = []
        self.served: list[Served] = []
        self.models: list[dict[str, Any]] | None = None
        """What GET /v1/models lists (e.g. llama.cpp's `meta.n_params`); None answers 404."""
        self._slots = threading.BoundedSemaphore(slots) if slots else None
        self.headers_seen: list[dict[str, str]] = []
        self.in_flight = 0
        self.peak_in_flight = 0
        self._lock = threading.Lock()
        super().__init__(self._handler())

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no request is being answered (a handler finishes after its client left)."""
        end = time.monotonic() + timeout
        while self.in_flight and time.monotonic() < end:
            time.sleep(0.01)
        return self.in_flight == 0

    def enqueue(self, *replies: Reply) -> None:
        """Script the next answers."""
        with self._lock:
            self.script.extend(replies)

    def _next(self, body: dict[str, Any], served: Served) -> Reply:
        with self._lock:
            self.requests.append(body)
            self.served.append(served)
            if self.script:
                return self.script.popleft()
        if self.responder is None:
            return Reply(500, {"error": {"message": "no scripted reply"}})
        return self.responder(body)

    def _answer(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        served = Served()
        reply = self._next(body, served)
        slot = self._slots or contextlib.nullcontext()
        with slot:
            time.sleep(self.latency)
            try:
                send_reply(handler, reply, stream=bool(body.get("stream")), served=served)
            except OSError:  # a broken pipe, a reset: the client closed the connection
                served.client_gone = True
                raise

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes: without this, Nagle plus delayed
            # ACK adds ~40 ms to every request.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def handle(self) -> None:
                try:
                    super().handle()
                except OSError:
                    # A client that closes a kept-alive connection with unread bytes (a
                    # stream it stopped reading) resets it: not an error of the server.
                    self.close_connection = True

            def do_GET(self) -> None:
                models = server.models
                if self.path.rstrip("/").endswith("/models") and models is not None:
                    send_reply(self, Reply(200, {"object": "list", "data": models}))
                else:
                    send_reply(self, Reply(404, {"error": {"message": f"no route GET {self.path}"}}))

            def do_POST(self) -> None:
                with server._lock:
                    server.in_flight += 1
                    server.peak_in_flight = max(server.peak_in_flight, server.in_flight)
                try:
                    self._answer()
                except OSError:
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
                server._answer(self, body)

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
