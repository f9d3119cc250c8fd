"""Any OpenAI-compatible chat endpoint, through the openai SDK.

Structured output modes: `json_schema` (strict response_format), `json_object` (the
schema is already in the system prompt) and `tools` (one forced function call). `auto`
starts with json_schema and steps down when a server says the mode is unsupported or
invalid, remembering the working mode for the rest of the run. SDK errors are translated
here, once, into summarize.errors. `request_body` and `parse_completion` are the wire
format alone, shared with provider batch jobs.

Every request is streamed (`stream=True`, usage from the final chunk): `--timeout` is then
the longest silence (connect and first byte, then between chunks), so a slow server that
is producing tokens is never cut off, and `--request-timeout` caps a whole request. Reading
stops when the reply's JSON closes or it runs away (summarize.backends.streaming) and the
stream is closed, which is what tells a server to stop generating. A server that refuses
to stream gets plain requests for the rest of the run; one that answers a streamed request
with a plain body is read as such.
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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from summarize.backends import context_size, model_label
from summarize.backends.base import Completion, Request
from summarize.backends.streaming import Progress, Streamed, read_chunks
from summarize.config import Settings
from summarize.errors import (
    ContextLengthError,
    ModelConnectionError,
    ModelHTTPError,
    ModelTimeout,
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
# A server's error that names streaming ("stream_options is not supported"); \b keeps an
# "upstream connect error" of a proxy from counting.
_STREAM_PARAMETER = re.compile(r"\bstream(?:ing|_options)?\b")


def estimate_tokens(text: str) -> int:
    """Tokens of TEXT, estimated offline (no tokenizer download): ~4 characters a token."""
    return len(text) // CHARS_PER_TOKEN + 1


class OpenAICompatBackend:
    """A chat-completions endpoint: OpenAI, Azure, vLLM, Ollama, llama.cpp server, LM Studio."""

    def __init__(
        self,
        client: openai.OpenAI,
        model: str,
        *,
        mode: str = "auto",
        context_tokens: int | None = None,
        stream: bool = True,
    ) -> None:
        self._client = client
        self._model = model
        self._context_tokens = context_tokens
        self.mode = "json_schema" if mode == "auto" else mode
        self._auto = mode == "auto"
        self._limit_key = "max_tokens"
        self._lock = threading.Lock()
        self.streams = stream
        """Whether requests are streamed (False once the server refused to stream)."""
        self.progress: Progress | None = None
        """Called as a streamed reply comes in (chunks so far, seconds): for a progress line."""
        self._reading: set[threading.Event] = set()

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
        sent, started = 0, time.monotonic()
        while True:
            mode, streams = self.mode, self.streams
            sent += 1
            body = request_body(request, mode, self._model, self._limit_key)
            try:
                if streams:
                    completion = self._streamed(body, request, mode, sent)
                else:
                    completion = _completion(self._create(body), mode, sent)
            except ModelHTTPError as exc:
                if self._step_down(mode, exc, streams):
                    continue
                raise
            u = completion.usage
            log.info(
                "request: %.1f s, %d prompt + %d completion tokens (%s)",
                time.monotonic() - started,
                u.prompt_tokens,
                u.completion_tokens,
                completion.finish_reason,
            )
            return completion

    def cancel(self) -> None:
        """Stop every reply being read now (an interrupted batch): each closes its stream at
        its next chunk, so the server stops generating it."""
        with self._lock:
            for event in self._reading:
                event.set()

    def _streamed(self, body: dict[str, Any], request: Request, mode: str, sent: int) -> Completion:
        """BODY sent streamed; the reply read until it is complete, the stream closed after."""
        started = time.monotonic()
        stream = self._create({**body, "stream": True, "stream_options": {"include_usage": True}})
        cancel = threading.Event()
        with self._lock:
            self._reading.add(cancel)
        try:
            content_type = str(stream.response.headers.get("content-type", ""))
            if "event-stream" not in content_type:  # the server ignored `stream`: a plain body
                return _completion(self._plain(stream.response), mode, sent)
            reply = self._read(stream, mode == "tools", cancel, started)
        finally:
            stream.close()  # before any retry: a closed connection is how the server learns to stop
            # The SDK's event generators would otherwise be finalized whenever the collector
            # runs (once in the middle of an import); close them here, now.
            events = getattr(stream, "_iterator", None)
            if events is not None:
                events.close()
            with self._lock:
                self._reading.discard(cancel)
        if reply.stopped_early:
            log.debug("stopped reading after %d chunks (%s)", reply.chunks, reply.finish_reason)
        return _streamed_completion(reply, request, sent)

    def _read(self, stream: Any, tools: bool, cancel: threading.Event, started: float) -> Streamed:
        """The streamed reply, its transport faults translated like a plain request's."""
        import openai

        def chunks() -> Iterator[Any]:
            for chunk in stream:
                if cancel.is_set():
                    raise UnexpectedModelBehavior("the request was cancelled. Run the article again")
                yield chunk

        try:
            reply = read_chunks(chunks(), tools=tools, progress=self.progress, started=started)
        except openai.APITimeoutError:
            raise self._timed_out() from None
        except openai.APIConnectionError as exc:
            cause = _describe(exc.__cause__ or exc, self._client.api_key)
            raise ModelConnectionError(
                f"the stream from {self._client.base_url} broke ({cause}). Retry, or check the server"
            ) from None
        except openai.APIError as exc:  # an error event inside the stream
            status = (
                int(getattr(exc, "code", None) or 500) if str(getattr(exc, "code", "")).isdigit() else 500
            )
            raise http_error(status, redact(exc.message, self._client.api_key)[:300]) from None
        except ValueError:  # an event whose data is not JSON
            raise _not_json() from None
        if reply.finish_reason is None and reply.usage is None:
            raise ModelConnectionError(
                f"the stream from {self._client.base_url} ended before the reply did. "
                "Retry, or check the server"
            )
        return reply

    def _plain(self, response: Any) -> Any:
        """The chat completion in RESPONSE's whole body (a server that does not stream)."""
        import json

        import openai.types.chat

        httpx = httpx_module()
        try:
            data = json.loads(response.read())
        except ValueError:
            if "json" in str(response.headers.get("content-type", "")):
                raise _not_json() from None
            raise _not_a_completion() from None
        except httpx.TimeoutException:
            raise self._timed_out() from None
        except httpx.TransportError as exc:
            cause = _describe(exc, self._client.api_key)
            raise ModelConnectionError(
                f"the answer from {self._client.base_url} broke ({cause}). Retry, or check the server"
            ) from None
        try:
            return openai.types.chat.ChatCompletion.model_validate(data)
        except ValueError:
            raise _not_a_completion() from None

    def _timed_out(self) -> ModelTimeout:
        return ModelTimeout(
            "the endpoint did not answer in time. Raise --timeout (the longest silence) or "
            f"--request-timeout (a whole request), or check the server ({self._client.base_url})"
        )

    def _step_down(self, mode: str, exc: ModelHTTPError, streams: bool = False) -> bool:
        text = f"{exc} {exc.body}".lower()
        if streams and rejects_streaming(exc.status, text):
            with self._lock:
                if self.streams:
                    self.streams = False
                    log.warning(
                        "endpoint cannot stream (HTTP %d); sending plain requests from now on", exc.status
                    )
            return True
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
            raise self._timed_out() from None
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
            raise _not_json() from None
        if isinstance(response, str):
            # The SDK hands back the raw text of a non-JSON 200 reply (an HTML page from a proxy).
            raise _not_a_completion()
        return response


def make_client(settings: Settings, *, deadline: bool = True) -> openai.OpenAI:
    """The SDK client SETTINGS describe, its own retries off (summarize.draft.retry retries).

    --timeout bounds each read (httpx's read timeout: the first byte, then every chunk), and
    waiting for a pooled connection; --connect-timeout the connect. With DEADLINE,
    --request-timeout bounds each whole request (chat completions) too; without it only the
    reads are bounded (file downloads of a batch job, which may take longer than any answer).
    """
    import openai

    return openai.OpenAI(
        base_url=settings.base_url,
        api_key=settings.api_key or "not-needed",
        max_retries=0,
        timeout=openai.Timeout(settings.timeout, connect=settings.connect_timeout),
        http_client=_deadline_client(settings.request_timeout) if deadline else None,
    )


@dataclass(frozen=True)
class ListedModel:
    """What an endpoint's /v1/models says of the model it serves."""

    name: str
    params: int | None


# Asking the server what it serves must not hold up a run whose server is slow to list.
_MODELS_TIMEOUT = 5.0


def listed_model(settings: Settings) -> ListedModel | None:
    """The entry of GET /v1/models for --model (or the only one listed: llama.cpp serves one
    model under any name), with its parameter count when the server gives one: llama.cpp's
    `meta.n_params`, or a `parameter_size` like Ollama's ("494.03M", "7.6B"). None when the
    server cannot say."""
    import openai

    from summarize.backends import params_in_name

    client = make_client(settings, deadline=False).with_options(timeout=_MODELS_TIMEOUT)
    try:
        entries = [m.model_dump() for m in client.models.list().data]
    except (openai.OpenAIError, ValueError) as exc:
        log.info("the endpoint does not list its models (%s)", _describe(exc, settings.api_key))
        return None
    chosen = [e for e in entries if settings.model in (e.get("id"), *(e.get("aliases") or []))]
    if not chosen and len(entries) != 1:
        return None
    entry = (chosen or entries)[0]
    meta = entry.get("meta") or {}
    details = entry.get("details") or {}
    size = meta.get("n_params") or params_in_name(str(details.get("parameter_size") or ""))
    return ListedModel(str(entry.get("id") or ""), int(size) if size else None)


def rejects_streaming(status: int, text: str) -> bool:
    """Whether an error answer says the server cannot stream (or take stream_options)."""
    return 400 <= status < 600 and status != 429 and _STREAM_PARAMETER.search(text) is not None


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


def _not_json() -> ModelConnectionError:
    return ModelConnectionError(
        "the endpoint answered with a body that is not valid JSON. "
        "Retry later, or check --base-url points at an OpenAI-compatible /v1 API"
    )


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
                    raise httpx.ReadTimeout(
                        "response took longer than --request-timeout", request=self._request
                    )
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


def _streamed_completion(reply: Streamed, request: Request, sent: int) -> Completion:
    """The Completion of a streamed REPLY; usage estimated when reading stopped before the
    server's final chunk (the prompt offline, the answer a token a chunk)."""
    if reply.refusal:
        raise UnexpectedModelBehavior(
            f"the model refused: {reply.refusal!s:.200}. Check the article or try another model",
            last_output=reply.refusal,
        )
    u = reply.usage
    if u is not None:
        prompt, answer = getattr(u, "prompt_tokens", 0) or 0, getattr(u, "completion_tokens", 0) or 0
    else:
        prompt = sum(estimate_tokens(m.content) for m in request.messages)
        answer = reply.chunks
    usage = Usage(prompt_tokens=prompt, completion_tokens=answer, requests=sent)
    finish = reply.finish_reason if reply.finish_reason is not None or reply.text else "empty"
    return Completion(text=reply.text, finish_reason=finish, usage=usage)


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
