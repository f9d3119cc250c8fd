"""The JSONL line formats of provider batch jobs: request lines in, output and error lines out.

Request line, one per chat request (OpenAI's batch input format, which vLLM's `run_batch`
reads as its `BatchRequestInput`):

    {"custom_id": "...", "method": "POST", "url": "/v1/chat/completions", "body": {...}}

Output line (OpenAI's output and error files; vLLM's `BatchRequestOutput`):

    {"id": "...", "custom_id": "...",
     "response": {"status_code": 200, "request_id": "...", "body": {chat.completion}} | null,
     "error": null | {"code": "...", "message": "..."} | "..." }

What the readers accept was read from the writers' sources, not assumed:

- OpenAI: a request that ran and failed is in the error file with `response.status_code` >= 400
  and `response.body = {"error": {"message", "type", "param", "code"}}`, `error: null`; a request
  that never ran (the batch expired or was cancelled) has `response: null` and
  `error: {"code": "batch_expired" | "batch_cancelled", "message": ...}`.
- vLLM (vllm/entrypoints/openai/run_batch.py) writes every line, successes and failures, to the
  one `-o` file with `print(o.model_dump_json(), file=f)` (older releases) or
  `self.file_handle.write(result.model_dump_json() + "\\n")` (OrderedStreamingWriter), so every
  field is present and `None` is `null`. Its three shapes:
  success `BatchResponseData(body=response, request_id=f"vllm-batch-{random_uuid()}")`
  (status_code defaults to 200), `error=None`;
  an engine error `BatchResponseData(status_code=response.error.code, request_id=...)` (no body)
  with `error=response`, an ErrorResponse dumped as `{"error": {"message", "type", "param",
  "code": int}}` (older releases: flat `{"object": "error", "message", "type", "param", "code"}`);
  an exception `make_error_request_output(request, error_msg=str(e))`:
  `status_code=HTTPStatus.BAD_REQUEST` (400), no body, and `error` a plain string.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

CHAT_URL: Final = "/v1/chat/completions"
MAX_CUSTOM_ID = 512
# Codes of lines that never ran: their requests go into a later batch unchanged.
NOT_RUN = frozenset({"batch_expired", "batch_cancelled"})


@dataclass(frozen=True)
class RequestLine:
    """One chat request of a batch: a job-unique CUSTOM_ID and the chat.completions BODY."""

    custom_id: str
    body: Mapping[str, Any]

    def encode(self) -> bytes:
        """The JSONL line (with its newline) exactly as the provider reads it."""
        check_custom_id(self.custom_id)
        line = {"custom_id": self.custom_id, "method": "POST", "url": CHAT_URL, "body": self.body}
        return (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def check_custom_id(custom_id: object) -> str:
    """CUSTOM_ID if it can name a request (a non-empty string of at most 512 characters)."""
    if not isinstance(custom_id, str) or not custom_id or len(custom_id) > MAX_CUSTOM_ID:
        raise ValueError(f"custom_id must be a non-empty string of at most {MAX_CUSTOM_ID} characters")
    return custom_id


@dataclass(frozen=True)
class LineError:
    """Why one request of a batch has no usable response."""

    code: str
    message: str
    status: int | None = None

    @property
    def not_run(self) -> bool:
        """The request never ran (batch expired or cancelled): resubmit it unchanged."""
        return self.code in NOT_RUN


@dataclass(frozen=True)
class OutputLine:
    """One parsed output or error line: the response body, or why there is none."""

    custom_id: str
    body: dict[str, Any] | None
    error: LineError | None


@dataclass(frozen=True)
class BadLine:
    """A line of an output file that names no request: reported, never guessed."""

    number: int
    reason: str
    text: str


def parse_output_line(raw: bytes | str) -> OutputLine:
    """Parse one output/error line in OpenAI's or vLLM's shape; ValueError when it names no request."""
    record = json.loads(raw)
    if not isinstance(record, dict):
        raise ValueError("the line is not a JSON object")
    custom_id = check_custom_id(record.get("custom_id"))
    response = record.get("response")
    error = record.get("error")
    if response is not None and not isinstance(response, dict):
        raise ValueError("`response` is neither an object nor null")
    status = _status(response)
    body = response.get("body") if response else None
    if error is None and status is not None and 200 <= status < 300 and isinstance(body, dict):
        return OutputLine(custom_id, body, None)
    return OutputLine(custom_id, None, _line_error(error, body, status))


def _status(response: dict[str, Any] | None) -> int | None:
    if not response:
        return None
    value = response.get("status_code")
    return value if isinstance(value, int) else None


def _line_error(error: Any, body: Any, status: int | None) -> LineError:
    """The error of a failed line from whichever of its places holds one."""
    if isinstance(error, str):  # vLLM's make_error_request_output
        return LineError(f"http_{status}" if status else "error", error, status)
    detail = error if isinstance(error, dict) else None
    if detail is None and isinstance(body, dict):
        detail = body  # OpenAI's error file: the request's own HTTP error body
    if detail is not None and isinstance(detail.get("error"), dict):
        detail = detail["error"]  # {"error": {...}}: OpenAI's HTTP body and vLLM's ErrorResponse
    if detail is None:
        reason = "no response body" if status and status < 300 else "no response and no error"
        return LineError(f"http_{status}" if status else "missing", reason, status)
    code = detail.get("code")
    if not isinstance(code, str) or not code:
        code = detail.get("type") if isinstance(detail.get("type"), str) else None
    return LineError(
        code or (f"http_{status}" if status else "error"), str(detail.get("message") or ""), status
    )


def read_output_lines(path: Path) -> Iterator[tuple[int, OutputLine | BadLine]]:
    """(line number, parsed line) of an output or error file, streamed; unreadable lines are BadLine."""
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                yield number, parse_output_line(raw)
            except ValueError as exc:  # json.JSONDecodeError is a ValueError
                yield number, BadLine(number, str(exc), raw[:200].decode("utf-8", "replace"))


def read_request_ids(path: Path) -> Iterator[tuple[str, bytes]]:
    """(custom_id, raw line) of every request line of a shard, streamed."""
    with open(path, "rb") as fh:
        for raw in fh:
            if raw.strip():
                yield check_custom_id(json.loads(raw)["custom_id"]), raw
