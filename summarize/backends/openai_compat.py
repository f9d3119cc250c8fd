"""Any OpenAI-compatible chat endpoint, through the openai SDK.

Structured output modes: `json_schema` (strict response_format), `json_object` (the
schema is already in the system prompt) and `tools` (one forced function call). `auto`
starts with json_schema and steps down when a server says the mode is unsupported or
invalid, remembering the working mode for the rest of the run. SDK errors are translated
here, once, into summarize.errors. `request_body` and `parse_completion` are the wire
format alone, shared with provider batch jobs.
"""

from __future__ import annotations

import email.utils
import importlib
import logging
import math
import re
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from summarize.backends import context_size, model_label
from summarize.backends.base import Completion, Request
from summarize.config import Settings
from summarize.errors import (
    ContextLengthError,
    ModelConnectionError,
    ModelHTTPError,
    UnexpectedModelBehavior,
)
from summarize.schemas import Usage

if TYPE_CHECKING:
    import openai

log = logging.getLogger(__name__)

FALLBACK = {"json_schema": "json_object", "json_object": "tools"}
# What a server's error says when it does not take a structured-output mode. A 4xx that
# says "not supported" counts; a 5xx must name the parameter (a bare 500 is a fault).
_MODE_PARAMETERS = ("response_format", "json_schema", "tool_choice", "tools")
_CONTEXT_MARKERS = ("context_length_exceeded", "context length", "maximum context", "too many tokens")
# "maximum context length is 8192 tokens", "context window of 4096": the size the server names.
_CONTEXT_SIZE = re.compile(r"(?:context length|context window|maximum)[^0-9]{0,40}(\d{3,7})", re.I)
# Rough but offline: about four characters per token for English news prose.
CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    """Tokens of TEXT, estimated offline (no tokenizer download): ~4 characters a token."""
    return len(text) // CHARS_PER_TOKEN + 1


class OpenAICompatBackend:
    """A chat-completions endpoint: OpenAI, Azure, vLLM, Ollama, llama.cpp server, LM Studio."""

    def __init__(
        self, client: openai.OpenAI, model: str, *, mode: str = "auto", context_tokens: int | None = None
    ) -> None:
        self._client = client
        self._model = model
        self._context_tokens = context_tokens
        self.mode = "json_schema" if mode == "auto" else mode
        self._auto = mode == "auto"
        self._limit_key = "max_tokens"
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAICompatBackend:
        """Build the client from SETTINGS; the SDK's own retries are off."""
        client = make_client(settings)
        return cls(client, model_label(settings), mode=settings.mode, context_tokens=context_size(settings))

    @property
    def model_name(self) -> str:
        """The model name sent to the endpoint."""
        return self._model

    @property
    def context_tokens(self) -> int | None:
        """The endpoint's context window as configured (the pipeline learns a smaller one)."""
        return self._context_tokens

    def count_tokens(self, text: str) -> int:
        """Estimate tokens offline: ~4 characters a token."""
        return estimate_tokens(text)

    def complete(self, request: Request) -> Completion:
        """Send one request; step down the structured-output mode when the server rejects it."""
        sent = 0
        while True:
            mode = self.mode
            sent += 1
            try:
                response = self._create(request_body(request, mode, self._model, self._limit_key))
            except ModelHTTPError as exc:
                if self._step_down(mode, exc):
                    continue
                raise
            return _completion(response, mode, sent)

    def _step_down(self, mode: str, exc: ModelHTTPError) -> bool:
        text = f"{exc} {exc.body}".lower()
        if exc.status == 400 and "max_tokens" in text and self._limit_key == "max_tokens":
            self._limit_key = "max_completion_tokens"
            return True
        if not self._auto or mode not in FALLBACK or not rejects_mode(exc.status, text):
            return False
        with self._lock:
            if self.mode == mode:  # another thread may have stepped down already: log once
                self.mode = FALLBACK[mode]
                log.warning(
                    "endpoint rejected %s mode (HTTP %d); using %s from now on", mode, exc.status, self.mode
                )
        return True

    def _create(self, body: dict[str, Any]) -> Any:
        import openai

        try:
            response = self._client.chat.completions.create(**body)
        except openai.APIStatusError as exc:
            raise _http_error(exc, self._client.api_key) from None
        except openai.APITimeoutError:
            raise ModelConnectionError(
                f"the endpoint did not answer in time. Raise --timeout or check the server "
                f"({self._client.base_url})"
            ) from None
        except openai.APIConnectionError as exc:
            cause = _describe(exc.__cause__ or exc, self._client.api_key)
            raise ModelConnectionError(
                f"cannot reach {self._client.base_url} ({cause}). "
                "Check --base-url and that the server is running"
            ) from None
        except openai.APIResponseValidationError:
            # An HTML error page or other non-JSON body with status 200: usually a proxy hiccup.
            raise _not_a_completion() from None
        except ValueError:  # a JSON body cut short or garbled on the way (json.JSONDecodeError)
            raise ModelConnectionError(
                "the endpoint answered with a body that is not valid JSON. "
                "Retry later, or check --base-url points at an OpenAI-compatible /v1 API"
            ) from None
        if isinstance(response, str):
            # The SDK hands back the raw text of a non-JSON 200 reply (an HTML page from a proxy).
            raise _not_a_completion()
        return response


def make_client(settings: Settings, *, deadline: bool = True) -> openai.OpenAI:
    """The SDK client SETTINGS describe, its own retries off (summarize.draft.retry retries).

    With DEADLINE, --timeout bounds each whole request (chat completions); without it, each
    read (file downloads of a batch job, which may take longer than any one completion).
    """
    import openai

    return openai.OpenAI(
        base_url=settings.base_url,
        api_key=settings.api_key or "not-needed",
        max_retries=0,
        timeout=openai.Timeout(settings.timeout, connect=settings.connect_timeout),
        http_client=_deadline_client(settings.timeout) if deadline else None,
    )


def rejects_mode(status: int, text: str) -> bool:
    """Whether an error answer says the structured-output mode is unsupported or invalid."""
    names_parameter = any(p in text for p in _MODE_PARAMETERS)
    if 400 <= status < 500:
        return names_parameter or "not supported" in text
    return status >= 500 and names_parameter


def request_body(request: Request, mode: str, model: str, limit_key: str = "max_tokens") -> dict[str, Any]:
    """The chat-completions body for REQUEST in structured-output MODE."""
    body: dict[str, Any] = {
        "model": model,
        "messages": [{"role": m.role, "content": m.content} for m in request.messages],
        "temperature": request.temperature,
        limit_key: request.max_tokens,
    }
    if mode == "json_schema":
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": request.schema_name, "schema": request.schema, "strict": True},
        }
    elif mode == "json_object":
        body["response_format"] = {"type": "json_object"}
    else:
        body["tools"] = [
            {"type": "function", "function": {"name": request.schema_name, "parameters": request.schema}}
        ]
        body["tool_choice"] = {"type": "function", "function": {"name": request.schema_name}}
    return body


def parse_completion(body: dict[str, Any], mode: str) -> Completion:
    """A Completion from a chat.completion JSON body (as a batch output line holds it)."""
    import openai.types.chat

    response = openai.types.chat.ChatCompletion.model_validate(body)
    return _completion(response, mode, 1)


def _not_a_completion() -> ModelConnectionError:
    return ModelConnectionError(
        "the endpoint answered with something that is not a chat completion. "
        "Check --base-url points at an OpenAI-compatible /v1 API"
    )


def httpx_module() -> Any:
    """The HTTP library the installed openai SDK's own client is built on (httpx or httpx2).

    Whatever else is installed: pip leaves httpx2 behind when openai 3.x is downgraded.
    """
    import openai

    base = next(c for c in openai.DefaultHttpxClient.__mro__[1:] if c.__name__ == "Client")
    return importlib.import_module(base.__module__.partition(".")[0])


def _deadline_client(seconds: float) -> Any:
    """The SDK's default HTTP client, with SECONDS as a bound on the whole request.

    The SDK's read timeout applies to each read, so a server that trickles a byte a
    second would hold a request forever; the deadline covers the body as a whole.
    """
    import openai

    httpx = httpx_module()
    stream_base: Any = httpx.SyncByteStream
    transport_base: Any = httpx.HTTPTransport

    class DeadlineStream(stream_base):  # type: ignore[misc]
        def __init__(self, inner: Any, deadline: float, request: Any) -> None:
            self._inner = inner
            self._deadline = deadline
            self._request = request

        def __iter__(self) -> Iterator[bytes]:
            for chunk in self._inner:
                if time.monotonic() > self._deadline:
                    raise httpx.ReadTimeout("response took longer than --timeout", request=self._request)
                yield chunk

        def close(self) -> None:
            self._inner.close()

    class DeadlineTransport(transport_base):  # type: ignore[misc]
        def handle_request(self, request: Any) -> Any:
            deadline = time.monotonic() + seconds
            response = super().handle_request(request)
            response.stream = DeadlineStream(response.stream, deadline, request)
            return response

    # The SDK's own connection limits, which a custom transport would otherwise drop.
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=100)
    return openai.DefaultHttpxClient(transport=DeadlineTransport(limits=limits))


def _completion(response: Any, mode: str, sent: int) -> Completion:
    u = getattr(response, "usage", None)
    usage = Usage(
        prompt_tokens=(getattr(u, "prompt_tokens", 0) or 0) if u else 0,
        completion_tokens=(getattr(u, "completion_tokens", 0) or 0) if u else 0,
        requests=sent,
    )
    choices = getattr(response, "choices", None) or []
    if not choices:
        return Completion(text="", finish_reason="empty", usage=usage)
    choice = choices[0]
    message = choice.message
    refusal = getattr(message, "refusal", None)
    if refusal:
        raise UnexpectedModelBehavior(
            f"the model refused: {refusal!s:.200}. Check the article or try another model",
            last_output=str(refusal),
        )
    text = message.content or ""
    if mode == "tools" and getattr(message, "tool_calls", None):
        text = message.tool_calls[0].function.arguments or ""
    return Completion(text=text, finish_reason=choice.finish_reason, usage=usage)


def redact(text: str, key: str | None) -> str:
    """TEXT without the API key: some servers echo a rejected key back in their error."""
    return text.replace(key, "[API key]") if key and len(key) >= 8 else text


def _describe(exc: BaseException, key: str | None) -> str:
    """What went wrong, never empty: an exception without a message is named by its type."""
    text = redact(str(exc).strip(), key)
    return text or type(exc).__name__


def _http_error(exc: openai.APIStatusError, key: str | None = None) -> ModelHTTPError | ContextLengthError:
    body = redact(_body_text(exc), key)
    detail = redact(f"{exc.message}", key)[:300]
    return http_error(exc.status_code, detail, body, retry_after(exc.response.headers))


def http_error(
    status: int, detail: str, body: str = "", wait: float | None = None
) -> ModelHTTPError | ContextLengthError:
    """The project's error for an HTTP error answer: of a live request, or of one batch line."""
    if status == 400 and any(m in body.lower() or m in detail.lower() for m in _CONTEXT_MARKERS):
        said = _CONTEXT_SIZE.search(f"{detail} {body}")
        return ContextLengthError(
            f"the prompt is longer than the model's context ({detail}). "
            "Lower --context-tokens so long articles are split into chunks",
            limit=int(said.group(1)) if said else None,
        )
    hint = {
        401: "Check OPENAI_API_KEY (or --api-key)",
        403: "Check the key's permissions for this model",
        404: "Check --model and that --base-url ends with /v1",
        429: "Lower --concurrency or wait for the rate limit to reset",
    }.get(status, "Retry later or check the server" if status >= 500 else "Check the request options")
    return ModelHTTPError(
        f"the endpoint answered HTTP {status}: {detail}. {hint}", status=status, body=body, retry_after=wait
    )


def _body_text(exc: openai.APIStatusError) -> str:
    try:
        return exc.response.text[:2000]
    except Exception:  # a streamed or closed body has no text to show
        return ""


def retry_after(headers: Any) -> float | None:
    """Seconds the server asks us to wait: retry-after-ms, then retry-after (seconds or a date)."""
    ms = _seconds(headers.get("retry-after-ms"))
    if ms is not None:
        return ms / 1000
    value = headers.get("retry-after")
    if not value:
        return None
    seconds = _seconds(value)
    if seconds is not None:
        return seconds
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None  # a header we cannot read: fall back to our own backoff
    return max(0.0, parsed.timestamp() - time.time())


def _seconds(value: str | None) -> float | None:
    """VALUE as a finite number, else None ("nan" would make the retry sleep raise)."""
    try:
        number = float(value or "")
    except ValueError:
        return None
    return number if math.isfinite(number) else None
