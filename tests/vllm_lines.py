"""vLLM's run_batch output lines, built as it builds them (for the --collect readers' tests).

The models are vLLM's own (vllm/entrypoints/openai/protocol.py and run_batch.py), the
fields that matter, so a line here is `BatchRequestOutput.model_dump_json()` as run_batch
writes it: every field present, None as null.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from summarize.testing import Reply


class _VllmBase(BaseModel):
    model_config = ConfigDict(extra="allow")  # OpenAIBaseModel


class _ErrorInfo(_VllmBase):
    message: str
    type: str
    param: str | None = None
    code: int


class _ErrorResponse(_VllmBase):
    error: _ErrorInfo


class _FlatErrorResponse(_VllmBase):  # releases before ErrorInfo
    object: str = "error"
    message: str
    type: str
    param: str | None = None
    code: int


class _ChatMessage(_VllmBase):
    role: str
    reasoning_content: str | None = None
    content: str | None = None
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)


class _Choice(_VllmBase):
    index: int
    message: _ChatMessage
    logprobs: dict[str, Any] | None = None
    finish_reason: str | None = "stop"
    stop_reason: int | str | None = None


class _Usage(_VllmBase):
    prompt_tokens: int = 0
    total_tokens: int = 0
    completion_tokens: int | None = 0
    prompt_tokens_details: dict[str, Any] | None = None


class _ChatCompletionResponse(_VllmBase):
    id: str = "chatcmpl-0123"
    object: typing.Literal["chat.completion"] = "chat.completion"
    created: int = 1700000000
    model: str
    choices: list[_Choice]
    usage: _Usage
    prompt_logprobs: list[dict[int, Any] | None] | None = None
    kv_transfer_params: dict[str, Any] | None = None


class _BatchResponseData(_VllmBase):
    status_code: int = 200
    request_id: str
    body: _ChatCompletionResponse | None = None


class _BatchRequestOutput(_VllmBase):
    id: str
    custom_id: str
    response: _BatchResponseData | None
    error: Any | None


def vllm_success(custom_id: str, content: str, prompt_tokens: int = 120, completion_tokens: int = 30) -> str:
    response = _ChatCompletionResponse(
        model="Qwen/Qwen2.5-7B-Instruct",
        choices=[_Choice(index=0, message=_ChatMessage(role="assistant", content=content))],
        usage=_Usage(
            prompt_tokens=prompt_tokens,
            total_tokens=prompt_tokens + completion_tokens,
            completion_tokens=completion_tokens,
        ),
    )
    # run_request: BatchResponseData(body=response, request_id=f"vllm-batch-{random_uuid()}"), error=None
    return _BatchRequestOutput(
        id="vllm-5f2a",
        custom_id=custom_id,
        response=_BatchResponseData(body=response, request_id="vllm-batch-77c1"),
        error=None,
    ).model_dump_json()


def vllm_engine_error(custom_id: str, flat: bool = False) -> str:
    info: dict[str, Any] = {"message": "max_tokens is too large", "type": "BadRequestError", "code": 400}
    error: BaseModel = _FlatErrorResponse(**info) if flat else _ErrorResponse(error=_ErrorInfo(**info))
    # run_request: BatchResponseData(status_code=response.error.code, ...), error=response
    return _BatchRequestOutput(
        id="vllm-1",
        custom_id=custom_id,
        response=_BatchResponseData(status_code=400, request_id="vllm-batch-2"),
        error=error,
    ).model_dump_json()


def vllm_exception(custom_id: str) -> str:
    # make_error_request_output: status_code=HTTPStatus.BAD_REQUEST, no body, error=error_msg (a string)
    return _BatchRequestOutput(
        id="vllm-3",
        custom_id=custom_id,
        response=_BatchResponseData(status_code=HTTPStatus.BAD_REQUEST, request_id="vllm-batch-4"),
        error="Request must not be sent in stream mode",
    ).model_dump_json()


def run_batch_like(source: Path, target: Path, responder: Callable[[dict[str, Any]], Reply]) -> None:
    """What `python -m vllm.entrypoints.openai.run_batch -i SOURCE -o TARGET` writes (RESPONDER answers)."""
    rows = []
    for raw in source.read_text(encoding="utf-8").splitlines():
        line = json.loads(raw)
        reply = responder(line["body"])
        if reply.status != 200:
            rows.append(vllm_engine_error(line["custom_id"]))
            continue
        body = reply.body
        usage = body["usage"]
        content = body["choices"][0]["message"]["content"]
        rows.append(
            vllm_success(line["custom_id"], content, usage["prompt_tokens"], usage["completion_tokens"])
        )
    target.write_text("".join(row + "\n" for row in rows), encoding="utf-8")
