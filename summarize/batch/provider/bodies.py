"""A job's request bodies, and what an error line means for the article that sent it.

Bodies are the live path's (`openai_compat.request_body`): the same messages, schema and
structured-output mode. `--mode auto` means json_schema; when error lines say the server
rejects it, the job steps down (json_object, then tools) as the live backend does, and
records the new variant in the manifest so every later run builds the same bodies. A
request answered under an earlier variant keeps its answer; one that was refused is asked
again in the new variant (a new body, so a new custom_id).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from summarize.backends.base import Request
from summarize.backends.openai_compat import (
    FALLBACK,
    http_error,
    parse_completion,
    rejects_mode,
    request_body,
)
from summarize.batch.jobs import LineError
from summarize.batch.jobs.manifest import Manifest, Variant
from summarize.errors import ModelHTTPError, SummarizeError, UserError

log = logging.getLogger(__name__)

# Error codes that mean "try again later" when a line carries no HTTP status.
_TRANSIENT_CODES = frozenset(
    {"rate_limit_exceeded", "server_error", "timeout", "internal_error", "overloaded"}
)
_LIMIT_KEYS = ("max_tokens", "max_completion_tokens")


class Bodies:
    """The body variants of one job (oldest first; the last is current). Thread-safe."""

    def __init__(self, manifest: Manifest, model: str, mode: str, save: Callable[[], None]) -> None:
        self.manifest = manifest
        self.model = model
        self.auto = mode == "auto"
        self._save = save
        self._lock = threading.Lock()
        if manifest.model is not None and manifest.model != model:
            # Its bodies, so its custom_ids, would all change: every article would start again.
            raise UserError(
                f"the batch job in this OUTDIR sends requests for model {manifest.model!r}, not {model!r}. "
                f"Pass --model {manifest.model}, or use another -o OUTDIR to start a job for {model!r}"
            )
        manifest.model = model
        wanted = "json_schema" if self.auto else mode
        variants = manifest.variants
        if not variants or (not self.auto and variants[-1].mode != wanted):
            limit = variants[-1].limit_key if variants else "max_tokens"
            self._add(Variant(mode=wanted, limit_key=limit, reason="--mode" if variants else "start"))

    @property
    def variants(self) -> list[Variant]:
        """Every variant used so far, oldest first."""
        return list(self.manifest.variants)

    def body(self, request: Request, variant: Variant) -> dict[str, Any]:
        """The chat-completions body of REQUEST in VARIANT."""
        return request_body(request, variant.mode, self.model, variant.limit_key)

    def step_down(self, error: LineError, current: Variant) -> bool:
        """Add a variant when ERROR (of a request in CURRENT) says the server rejects it; whether one was
        added (or another thread already moved on from CURRENT)."""
        with self._lock:
            if self.manifest.variants[-1] != current:
                return True
            text = f"{error.code} {error.message}".lower()
            status = error.status or 400
            if status == 400 and "max_tokens" in text and current.limit_key == _LIMIT_KEYS[0]:
                new = Variant(mode=current.mode, limit_key=_LIMIT_KEYS[1], reason=_short(error))
            elif self.auto and current.mode in FALLBACK and rejects_mode(status, text):
                new = Variant(mode=FALLBACK[current.mode], limit_key=current.limit_key, reason=_short(error))
            else:
                return False
            self._add(new)
        log.warning(
            "the server rejected %s bodies (%s); using %s from now on", current.mode, new.reason, new.mode
        )
        return True

    def _add(self, variant: Variant) -> None:
        self.manifest.variants.append(variant)
        self._save()


def retryable(error: LineError) -> bool:
    """Whether a later identical request may succeed: never ran, rate limit, overload, server fault."""
    if error.not_run:
        return True
    if error.status is not None:
        return error.status in (408, 409, 429) or error.status >= 500
    return error.code in _TRANSIENT_CODES


def failure(error: LineError) -> SummarizeError:
    """The error an article fails with (or a conversation re-plans on) for ERROR."""
    detail = f"{error.code}: {error.message}" if error.message else error.code
    if error.status is None:
        return ModelHTTPError(
            f"the provider reported an error for this request ({detail[:300]}). Check the request options",
            status=0,
        )
    return http_error(error.status, detail[:300])


def checked(body: dict[str, Any] | None, error: LineError | None) -> LineError | None:
    """ERROR, or for a body that is not a chat completion an error that asks for the line again."""
    if error is not None or body is None:
        return error or LineError("missing", "no response body and no error", None)
    try:
        parse_completion(body, "tools")
    except SummarizeError:
        return None  # a refusal is an answer: the replay ends the article with it, as live
    except ValueError as exc:  # pydantic's ValidationError: not a chat.completion
        return LineError("invalid_response", f"not a chat completion ({str(exc)[:200]})", 502)
    return None


def _short(error: LineError) -> str:
    return " ".join(f"HTTP {error.status} {error.code}: {error.message}".split())[:200]
