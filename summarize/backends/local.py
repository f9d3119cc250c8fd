"""The embedded model: a GGUF run by llama.cpp inside this process (xllamacpp, prebuilt).

`llama_server` owns the runtime (loading once per process, the private socket, streaming,
cancelling, compact grammars); this module is the Backend: count, check the prompt fits,
generate one schema-constrained reply, report usage.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from summarize.backends.base import Completion, Request
from summarize.backends.llama_server import (
    compact_grammar,
    context_error,
    error_from,
    is_json,
    load_model,
    run_cancellable,
    runtime_error,
    stream,
)
from summarize.backends.model_files import resolve_model
from summarize.config import Settings, check_local
from summarize.errors import UnexpectedModelBehavior
from summarize.schemas import Usage

DEFAULT_CTX = 8192
# Room kept for the answer when checking that a prompt fits: a digest of a news article
# is rarely over 1,000 tokens; the request's own max_tokens caps it further.
MIN_ANSWER_TOKENS = 1024


class LocalBackend:
    """A GGUF model run by llama.cpp (xllamacpp) inside this process."""

    def __init__(
        self,
        model_path: Path,
        *,
        name: str | None = None,
        ctx: int | None = None,
        threads: int | None = None,
    ) -> None:
        check_local(ctx=ctx, threads=threads)
        self.model_path = model_path
        self._name = name or model_path.stem
        self.threads = threads or os.cpu_count() or 1
        self._ctx = ctx or DEFAULT_CTX
        self._loaded = load_model(model_path, ctx=self._ctx, threads=self.threads)
        self.last_timings: dict[str, float] = {}
        """llama.cpp's timings of the last reply: `prompt_n` is the tokens it evaluated,
        `cache_n` the tokens it reused from the previous prompt."""

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalBackend:
        """The backend for SETTINGS' model_path (or the bundled model), threads and ctx."""
        # Settings built by hand (the library API) skip `resolve`: check before a download.
        check_local(ctx=settings.ctx, threads=settings.threads)
        model = resolve_model(settings.model_path, cache_dir_override=settings.cache_dir)
        return cls(model.path, name=model.name, ctx=settings.ctx, threads=settings.threads)

    @property
    def model_name(self) -> str:
        """The GGUF's name (the bundled model's short name)."""
        return self._name

    @property
    def context_tokens(self) -> int:
        """The context window llama.cpp was loaded with."""
        return self._ctx

    def count_tokens(self, text: str) -> int:
        """Tokens TEXT takes, by the model's own tokenizer (special-token text counted as text)."""
        body = {"content": text, "add_special": False, "parse_special": False}
        return len(self._loaded.route("/tokenize", body)["tokens"])

    def prompt_tokens(self, request: Request) -> int:
        """Tokens the chat-formatted prompt of REQUEST takes, exactly as llama.cpp will see it."""
        prompt = self._loaded.route("/apply-template", {"messages": _messages(request)})["prompt"]
        body = {"content": prompt, "add_special": True, "parse_special": True}
        return len(self._loaded.route("/tokenize", body)["tokens"])

    def _check_fits(self, request: Request) -> None:
        reserve = min(request.max_tokens, MIN_ANSWER_TOKENS)
        needed = self.prompt_tokens(request)
        if needed + reserve > self._ctx:
            raise context_error(
                f"The prompt takes {needed:,} tokens and the answer needs up to {reserve:,} more, "
                f"over the local model's context of {self._ctx:,} tokens",
                self._ctx,
            )

    def complete(self, request: Request) -> Completion:
        """Generate one schema-constrained, compact JSON reply to REQUEST."""
        self._check_fits(request)
        body = {
            "messages": _messages(request),
            "grammar": compact_grammar(request.schema),
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            # Quotes must be copied verbatim: a repeat penalty pushes the model away from
            # the article's own words.
            "repeat_penalty": 1.0,
            "seed": 0,
            "cache_prompt": True,
        }
        return _completion(self._generate(body))

    def cancel(self) -> None:
        """Stop the generation in progress (e.g. when a batch abandons in-flight articles)."""
        self._loaded.cancel.set()

    def _generate(self, body: dict[str, Any]) -> dict[str, Any]:
        """The reply to BODY; errors of llama.cpp raised as summarize errors."""
        with self._loaded.lock:
            self._loaded.cancel.clear()
            reply = run_cancellable(lambda: stream(self._loaded, body), self._loaded.cancel)
            self.last_timings = dict(reply.get("timings") or {})
        if "error" in reply:
            raise error_from(reply["error"], self._ctx)
        if reply["finish_reason"] is None and self._loaded.cancel.is_set():
            raise UnexpectedModelBehavior(
                "The generation was cancelled before it finished. Run the article again",
                last_output=reply["text"],
            )
        return reply


def _messages(request: Request) -> list[dict[str, str]]:
    return [{"role": m.role, "content": m.content} for m in request.messages]


def _completion(reply: dict[str, Any]) -> Completion:
    """The Completion of an assembled reply, refusing one the grammar did not shape."""
    text, finish = reply["text"], reply["finish_reason"]
    # LLGuidance only lets the model stop where the JSON is complete. A finished reply that
    # does not parse means llama.cpp dropped the grammar: it logs an LLGuidance compile
    # error and generates unconstrained instead of failing the request.
    if finish == "stop" and not is_json(text):
        raise runtime_error(
            "llama.cpp ignored the JSON grammar (LLGuidance could not compile the schema)", text
        )
    usage = reply.get("usage") or {}
    return Completion(
        text=text,
        finish_reason=finish,
        usage=Usage(
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            requests=1,
        ),
    )
