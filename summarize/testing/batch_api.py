"""A loopback fake of OpenAI's Files and Batches API, for tests and benchmarks of batch jobs.

    with FakeBatchAPI(responder=echo_responder) as fake:
        client = openai.OpenAI(base_url=fake.base_url, api_key="x", max_retries=0)
        ...                                   # upload, create, retrieve, list, cancel, download
        assert fake.batches_per_shard() == {"requests-00001.jsonl": 1}

Each batch walks validating -> in_progress -> finalizing -> completed, one step per
retrieve (or per `advance()` with `auto_advance=False`), as scripted by a `BatchPlan`:
slow validation, a failed batch, expiry with partial output, per-line errors, a completed
batch with only an error file, slow cancelling. Control calls can be scripted to fail
(5xx, 429 with Retry-After, a dropped connection), before or after the server acted.
Output lines are computed from each request body by RESPONDER, like FakeOpenAIServer's,
which also answers live POST /v1/chat/completions (a provider serves both on one base URL).
`python -m summarize.testing.batch_api` serves one on a port of its own.
"""

from __future__ import annotations

import fnmatch
import json
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from summarize.testing.batch_wire import (
    check_create,
    error_reply,
    make_handler,
    not_run_line,
    parse_input,
    parse_multipart,
    route_of,
)
from summarize.testing.server import Loopback, Reply, chat_completion

Responder = Callable[[dict[str, Any]], "Reply | dict[str, Any]"]
LineErrors = Callable[[str, dict[str, Any]], "Reply | None"]


@dataclass
class BatchPlan:
    """How the fake walks one batch through its states (each count is retrieves spent there)."""

    validating: int = 1
    in_progress: int = 1
    finalizing: int = 1
    cancelling: int = 1
    outcome: Literal["completed", "failed", "expired"] = "completed"
    finished: int | None = None
    """Lines that finished before the batch expired or was cancelled (default: half)."""
    errors: list[dict[str, Any]] = field(
        default_factory=lambda: [{"code": "token_limit_exceeded", "message": "Enqueued token limit reached."}]
    )
    """The batch errors of a failed batch."""
    line_error: LineErrors | None = None
    """(custom_id, body) -> an HTTP error Reply for that line (it goes to the error file)."""
    expired_in_error_file: bool = True
    """Expired and cancelled lines listed in the error file (batch_expired / batch_cancelled)."""
    files_late: int = 0
    """Retrieves that see the finished batch without its file ids (they are attached later)."""


@dataclass
class _Fault:
    pattern: str
    reply: Reply
    after: bool


def _default_responder(body: dict[str, Any]) -> dict[str, Any]:
    return chat_completion("{}", model=str(body.get("model") or "fake-model"))


class FakeBatchAPI(Loopback):
    """A real HTTP server on 127.0.0.1 with /v1/files and /v1/batches."""

    def __init__(
        self,
        responder: Responder | None = None,
        plan: BatchPlan | None = None,
        *,
        auto_advance: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.responder: Responder = responder or _default_responder
        self.plan = plan or BatchPlan()
        self.plans: deque[BatchPlan] = deque()
        """Plans for the next batches created, in order (then `plan`)."""
        self.auto_advance = auto_advance
        self.clock = clock
        self.files: dict[str, dict[str, Any]] = {}
        self.contents: dict[str, bytes] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.calls: Counter[str] = Counter()
        """Calls per route ("GET /v1/batches/{id}"), faults included."""
        self.create_params: list[dict[str, Any]] = []
        """The body of every POST /v1/batches, as sent."""
        self.chat_requests: list[dict[str, Any]] = []
        """The body of every live POST /v1/chat/completions (--reask live)."""
        self._walks: dict[str, _Walk] = {}
        self._faults: list[_Fault] = []
        self._ids: Counter[str] = Counter()
        self._lock = threading.RLock()
        super().__init__(make_handler(self))

    # --- test-facing API ----------------------------------------------------------------

    def fail(self, pattern: str, *replies: Reply, after: bool = False) -> None:
        """Answer the next calls matching PATTERN ("POST /v1/batches", "GET /v1/batches/*") with REPLIES.

        With AFTER the server acts first and then answers with the fault, as a server that
        made the batch and lost the connection would.
        """
        with self._lock:
            self._faults.extend(_Fault(pattern, reply, after) for reply in replies)

    def advance(self, batch_id: str | None = None) -> None:
        """Move one batch (or every open batch) one step on."""
        with self._lock:
            for bid in [batch_id] if batch_id else list(self.batches):
                self._step(bid)

    def batches_per_shard(self) -> dict[str, int]:
        """How many batches were created for each shard (by the batch metadata's "shard")."""
        counts: Counter[str] = Counter()
        for batch in self.batches.values():
            counts[str((batch.get("metadata") or {}).get("shard"))] += 1
        return dict(counts)

    # --- the API ------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes, ctype: str) -> Reply:
        """Answer one request (the HTTP handler calls this)."""
        key = f"{method} {path}"
        with self._lock:
            self.calls[route_of(method, path)] += 1
            fault = self._take_fault(key)
            if fault is not None and not fault.after:
                return fault.reply
            reply = self._dispatch(method, path, query, body, ctype)
        return fault.reply if fault is not None else reply

    def _take_fault(self, key: str) -> _Fault | None:
        for i, fault in enumerate(self._faults):
            if fnmatch.fnmatchcase(key, fault.pattern):
                del self._faults[i]
                return fault
        return None

    def _dispatch(self, method: str, path: str, query: dict[str, str], body: bytes, ctype: str) -> Reply:
        parts = path.strip("/").split("/")[1:]  # drop "v1"
        if method == "POST" and parts == ["files"]:
            return self._upload(body, ctype)
        if method == "GET" and parts == ["files"]:
            return self._list(list(self.files.values()), query)
        if method == "GET" and len(parts) in (2, 3) and parts[0] == "files":
            return self._file(parts[1], content=len(parts) == 3 and parts[2] == "content")
        if method == "POST" and parts == ["batches"]:
            return self._create(json.loads(body or b"{}"))
        if method == "GET" and parts == ["batches"]:
            return self._list(list(self.batches.values()), query)
        if method == "GET" and len(parts) == 2 and parts[0] == "batches":
            return self._retrieve(parts[1])
        if method == "POST" and len(parts) == 3 and parts[0] == "batches" and parts[2] == "cancel":
            return self._cancel(parts[1])
        if method == "POST" and parts == ["chat", "completions"]:
            return self._chat(json.loads(body or b"{}"))
        return error_reply(404, f"no route {method} {path}", "not_found")

    def _new_id(self, prefix: str) -> str:
        self._ids[prefix] += 1
        return f"{prefix}{self._ids[prefix]:06d}"

    def _upload(self, body: bytes, ctype: str) -> Reply:
        fields = parse_multipart(body, ctype)
        if fields.get("purpose", (None, b""))[1] != b"batch" or "file" not in fields:
            return error_reply(400, "expected a file and purpose=batch", "invalid_request_error")
        filename, data = fields["file"]
        return Reply(200, self.add_file(filename or "upload.jsonl", data, "batch"))

    def add_file(self, filename: str, data: bytes, purpose: str) -> dict[str, Any]:
        """Store a file as if uploaded; returns its file object."""
        file_id = self._new_id("file-")
        obj = {
            "id": file_id,
            "object": "file",
            "bytes": len(data),
            "created_at": int(self.clock()),
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
        }
        self.files[file_id] = obj
        self.contents[file_id] = data
        return obj

    def _file(self, file_id: str, content: bool) -> Reply:
        if file_id not in self.files:
            return error_reply(404, f"No such File object: {file_id}", "invalid_request_error")
        if content:
            return Reply(200, self.contents[file_id].decode("utf-8"), content_type="application/octet-stream")
        return Reply(200, self.files[file_id])

    def _list(self, items: list[dict[str, Any]], query: dict[str, str]) -> Reply:
        if "purpose" in query:
            items = [i for i in items if i.get("purpose") == query["purpose"]]
        items = items if query.get("order") == "asc" else items[::-1]  # newest first by default
        if after := query.get("after"):
            ids = [i["id"] for i in items]
            items = items[ids.index(after) + 1 :] if after in ids else []
        limit = int(query.get("limit") or 20)
        page = items[:limit]
        return Reply(
            200,
            {
                "object": "list",
                "data": page,
                "first_id": page[0]["id"] if page else None,
                "last_id": page[-1]["id"] if page else None,
                "has_more": len(items) > limit,
            },
        )

    def _create(self, params: dict[str, Any]) -> Reply:
        self.create_params.append(params)
        problem = check_create(params, self.files)
        if problem:
            return error_reply(400, problem, "invalid_request_error")
        batch_id = self._new_id("batch_")
        now = int(self.clock())
        batch = {
            "id": batch_id,
            "object": "batch",
            "endpoint": params["endpoint"],
            "errors": None,
            "input_file_id": params["input_file_id"],
            "completion_window": "24h",
            "status": "validating",
            "output_file_id": None,
            "error_file_id": None,
            "created_at": now,
            "expires_at": now + 86400,
            "request_counts": {"total": 0, "completed": 0, "failed": 0},
            "metadata": params.get("metadata"),
        }
        self.batches[batch_id] = batch
        plan = self.plans.popleft() if self.plans else self.plan
        self._walks[batch_id] = _Walk(plan, plan.validating)
        return Reply(200, batch)

    def _retrieve(self, batch_id: str) -> Reply:
        if batch_id not in self.batches:
            return error_reply(404, f"No batch found with id '{batch_id}'.", "invalid_request_error")
        reply = Reply(200, dict(self.batches[batch_id]))
        if self.auto_advance:
            self._step(batch_id)
        return reply

    def _cancel(self, batch_id: str) -> Reply:
        batch = self.batches.get(batch_id)
        if batch is None:
            return error_reply(404, f"No batch found with id '{batch_id}'.", "invalid_request_error")
        if batch["status"] not in ("validating", "in_progress", "finalizing"):
            return error_reply(
                400, f"Cannot cancel a batch with status '{batch['status']}'.", "invalid_request_error"
            )
        walk = self._walks[batch_id]
        batch["status"], batch["cancelling_at"] = "cancelling", int(self.clock())
        walk.left = walk.plan.cancelling
        return Reply(200, dict(batch))

    def _chat(self, body: dict[str, Any]) -> Reply:
        """A live request, answered by RESPONDER as a batch line would be (providers serve both)."""
        self.chat_requests.append(body)
        answer = self.responder(body)
        return answer if isinstance(answer, Reply) else Reply(200, answer)

    # --- walking a batch ----------------------------------------------------------------

    def _step(self, batch_id: str) -> None:
        batch, walk = self.batches[batch_id], self._walks[batch_id]
        status = batch["status"]
        if status in ("completed", "failed", "expired", "cancelled"):
            if walk.late_files:
                walk.late -= 1
                if walk.late <= 0:
                    batch.update(walk.late_files)
                    walk.late_files = {}
            return
        walk.left -= 1
        if walk.left > 0:
            return
        if status == "validating":
            self._validated(batch, walk)
        elif status == "in_progress":
            if walk.plan.outcome == "expired":
                self._finish(batch, walk, "expired")
            else:
                batch["status"], walk.left = "finalizing", walk.plan.finalizing
        elif status == "finalizing":
            self._finish(batch, walk, "completed")
        elif status == "cancelling":
            self._finish(batch, walk, "cancelled")

    def _validated(self, batch: dict[str, Any], walk: _Walk) -> None:
        lines, problems = parse_input(self.contents[batch["input_file_id"]], batch["endpoint"])
        if problems or walk.plan.outcome == "failed":
            batch["status"], batch["failed_at"] = "failed", int(self.clock())
            batch["errors"] = {"object": "list", "data": problems or walk.plan.errors}
            return
        walk.lines = lines
        batch["status"], batch["in_progress_at"] = "in_progress", int(self.clock())
        batch["request_counts"] = {"total": len(lines), "completed": 0, "failed": 0}
        walk.left = walk.plan.in_progress

    def _finish(self, batch: dict[str, Any], walk: _Walk, status: str) -> None:
        lines = walk.lines or []
        ran = len(lines) if status == "completed" else _finished(walk.plan, len(lines))
        out: list[dict[str, Any]] = []
        err: list[dict[str, Any]] = []
        for index, line in enumerate(lines):
            if index < ran:
                record, ok = self._answer(line, walk.plan)
                (out if ok else err).append(record)
            elif walk.plan.expired_in_error_file:
                err.append(not_run_line(line["custom_id"], status, self._new_id("batch_req_")))
        batch["status"], batch[f"{status}_at"] = status, int(self.clock())
        batch["request_counts"] = {"total": len(lines), "completed": len(out), "failed": len(err)}
        files = {}
        for kind, records in (("output", out), ("error", err)):
            if records:
                data = "".join(json.dumps(r) + "\n" for r in records).encode("utf-8")
                name = f"batch_{batch['id']}_{kind}.jsonl"
                files[f"{kind}_file_id"] = self.add_file(name, data, "batch_output")["id"]
        if walk.plan.files_late:
            walk.late_files, walk.late = files, walk.plan.files_late
        else:
            batch.update(files)

    def _answer(self, line: dict[str, Any], plan: BatchPlan) -> tuple[dict[str, Any], bool]:
        """The output or error record of one request line (True when it succeeded)."""
        custom_id, body = line["custom_id"], line["body"]
        planned = plan.line_error(custom_id, body) if plan.line_error else None
        answer = planned if planned is not None else self.responder(body)
        reply = answer if isinstance(answer, Reply) else Reply(200, answer)
        record = {
            "id": self._new_id("batch_req_"),
            "custom_id": custom_id,
            "response": {"status_code": reply.status, "request_id": self._new_id("req_"), "body": reply.body},
            "error": None,
        }
        return record, 200 <= reply.status < 300


@dataclass
class _Walk:
    plan: BatchPlan
    left: int
    lines: list[dict[str, Any]] | None = None
    late_files: dict[str, str] = field(default_factory=dict)
    late: int = 0


def _finished(plan: BatchPlan, total: int) -> int:
    return min(total, plan.finished if plan.finished is not None else total // 2)


def main() -> None:
    """Serve a fake (answering articles with echo_responder), print its URL, stop when stdin closes."""
    import sys

    from summarize.testing.server import echo_responder

    with FakeBatchAPI(responder=echo_responder) as fake:
        print(fake.base_url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
