"""The wire side of FakeBatchAPI: HTTP handling, multipart uploads, and OpenAI's checks and line shapes."""

from __future__ import annotations

import json
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from summarize.testing.server import Reply, send_reply

ENDPOINTS = ("/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/responses")


class Handles(Protocol):
    """What the HTTP handler serves: one call in, one reply out."""

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes, ctype: str) -> Reply:
        """Answer one request."""
        ...


def not_run_line(custom_id: str, status: str, line_id: str) -> dict[str, Any]:
    """The error-file line of a request that never ran because its batch expired or was cancelled."""
    if status == "expired":
        error = {
            "code": "batch_expired",
            "message": "This request could not be executed before the completion window expired.",
        }
    else:
        error = {"code": "batch_cancelled", "message": "This request was cancelled before it ran."}
    return {"id": line_id, "custom_id": custom_id, "response": None, "error": error}


def check_create(params: dict[str, Any], files: dict[str, dict[str, Any]]) -> str | None:
    """What OpenAI would refuse in a create call, or None."""
    file = files.get(str(params.get("input_file_id")))
    if file is None or file["purpose"] != "batch":
        return f"Invalid input_file_id {params.get('input_file_id')!r}: no such file with purpose batch"
    if params.get("endpoint") not in ENDPOINTS:
        return f"Invalid endpoint {params.get('endpoint')!r}"
    if params.get("completion_window") != "24h":
        return "completion_window must be 24h"
    metadata = params.get("metadata") or {}
    if len(metadata) > 16 or any(len(k) > 64 or len(str(v)) > 512 for k, v in metadata.items()):
        return "metadata: at most 16 pairs, keys up to 64 characters, values up to 512"
    return None


def parse_input(data: bytes, endpoint: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The request lines of an input file, and validation errors as OpenAI reports them."""
    lines: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, raw in enumerate(data.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
            ok = set(line) == {"custom_id", "method", "url", "body"} and line["method"] == "POST"
            ok = ok and line["url"] == endpoint and isinstance(line["body"], dict)
        except (ValueError, TypeError):
            line, ok = None, False
        if not ok or not isinstance(line, dict):
            problems.append({"code": "invalid_request", "line": number, "message": "Invalid request line."})
        elif line["custom_id"] in seen:
            problems.append(
                {"code": "duplicate_custom_id", "line": number, "message": "Duplicate custom_id."}
            )
        else:
            seen.add(line["custom_id"])
            lines.append(line)
    return lines, problems[:50]


def parse_multipart(body: bytes, ctype: str) -> dict[str, tuple[str | None, bytes]]:
    """name -> (filename, bytes) of a multipart/form-data body."""
    message = BytesParser().parsebytes(f"Content-Type: {ctype}\r\n\r\n".encode() + body)
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.get_payload() if message.is_multipart() else []:
        if isinstance(part, str):
            continue
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields[name] = (part.get_filename(), payload)
    return fields


def route_of(method: str, path: str) -> str:
    """The call's route with ids replaced by {id}: "GET /v1/batches/{id}"."""
    parts = path.strip("/").split("/")
    shaped = [p if i < 2 or p in ("content", "cancel") else "{id}" for i, p in enumerate(parts)]
    return f"{method} /{'/'.join(shaped)}"


def error_reply(status: int, message: str, kind: str) -> Reply:
    """An error answer in OpenAI's shape."""
    return Reply(status, {"error": {"message": message, "type": kind, "param": None, "code": None}})


def make_handler(api: Handles) -> type[BaseHTTPRequestHandler]:
    """A request handler class that passes every GET and POST to API."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, method: str) -> None:
            url = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            body = self._body()
            reply = api.handle(method, url.path, query, body, self.headers.get("content-type", ""))
            try:
                send_reply(self, reply)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def _body(self) -> bytes:
            if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
                chunks = []
                while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                self.rfile.readline()
                return b"".join(chunks)
            return self.rfile.read(int(self.headers.get("content-length") or 0))

    return Handler
