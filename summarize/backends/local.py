"""The embedded model: llama.cpp in-process through llama-cpp-python.

Generation is constrained by a grammar built from the request's JSON Schema, so every
reply parses. The model is loaded once per process and shared by every backend object
that asks for the same file, context and threads: a batch never reloads it per article.
llama.cpp keeps the previous prompt's KV cache and re-evaluates only the tokens after the
longest common prefix (`Llama.generate`), so the system prompt shared by the articles of a
run is processed once; see docs/MODELS.md for the measurement.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from summarize.backends.base import Completion, Request
from summarize.backends.model_files import resolve_model
from summarize.config import Settings
from summarize.errors import ContextLengthError, UnexpectedModelBehavior, UserError
from summarize.schemas import Usage

DEFAULT_CTX = 8192
# Room kept for the answer when checking that a prompt fits: a digest of a news article
# is rarely over 1,000 tokens; the request's own max_tokens caps it further.
MIN_ANSWER_TOKENS = 1024
# Tokens the chat template adds around each message when the model has no template to
# render exactly (role markers, separators).
_TEMPLATE_OVERHEAD = 8

INSTALL_HINT = (
    "The local model needs llama-cpp-python, which is not installed. "
    "Run `pip install 'summarize[local]'` (it compiles llama.cpp once, about 11 minutes on "
    "2 cores; pip caches the wheel), or pass --base-url/OPENAI_API_KEY to use an endpoint"
)


@dataclass
class _Loaded:
    """One loaded model and the lock that serialises its use (llama.cpp is not thread-safe)."""

    llama: Any
    formatter: Any | None
    lock: threading.Lock = field(default_factory=threading.Lock)


_LOADED: dict[tuple[str, int, int], _Loaded] = {}
_LOADED_LOCK = threading.Lock()


def _import_llama_cpp() -> Any:
    # llama.cpp's OpenMP threads spin while waiting by default. With n_threads equal to the
    # cores and any other busy process (a second run, a build), spinning threads starve
    # each other: decoding fell from 14 to 0.4 tokens/s here. libgomp reads this once, when
    # the library loads.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import llama_cpp
    except ImportError:
        raise UserError(INSTALL_HINT) from None
    return llama_cpp


def _chat_formatter(llama_cpp: Any, llama: Any) -> Any | None:
    """A formatter for the GGUF's own chat template, used both to generate and to count.

    It is the one llama-cpp-python would build itself; holding it lets `prompt_tokens`
    count exactly what `create_chat_completion` will evaluate.
    """
    template = llama.metadata.get("tokenizer.chat_template")
    if not template:
        return None

    def text(token_id: int) -> str:
        if token_id < 0:
            return ""
        return str(llama.detokenize([token_id], special=True).decode("utf-8", "replace"))

    return llama_cpp.llama_chat_format.Jinja2ChatFormatter(
        template=template,
        eos_token=text(llama.token_eos()),
        bos_token=text(llama.token_bos()),
        stop_token_ids=[llama.token_eos()],
    )


def _cpu_has_amx() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            return any(line.startswith("flags") and " amx_int8" in line for line in f)
    except OSError:
        return False


@contextmanager
def _without_extra_buffers(llama_cpp: Any) -> Iterator[None]:
    """Load with `use_extra_bufts=False`, which `Llama()` does not expose.

    A llama.cpp built natively on a CPU with AMX routes matrix products to its AMX
    kernels, which crash (SIGSEGV in ggml_backend_amx_mul_mat) on our 2-core VMs. The
    extra buffer types (AMX, weight repacking) are optional; turning them off costs
    little on a 0.5B model and makes the load safe.
    """
    low = llama_cpp.llama_cpp
    default = low.llama_model_default_params

    def params() -> Any:
        p = default()
        p.use_extra_bufts = False
        return p

    low.llama_model_default_params = params
    try:
        yield
    finally:
        low.llama_model_default_params = default


def load_model(path: Path, *, ctx: int, threads: int) -> _Loaded:
    """The process-wide instance of model PATH with CTX and THREADS, loading it on first use."""
    key = (str(path.resolve()), ctx, threads)
    with _LOADED_LOCK:
        loaded = _LOADED.get(key)
        if loaded is None:
            llama_cpp = _import_llama_cpp()
            guard = _without_extra_buffers(llama_cpp) if _cpu_has_amx() else nullcontext()
            try:
                with guard:
                    llama = llama_cpp.Llama(
                        model_path=str(path),
                        n_ctx=ctx,
                        n_threads=threads,
                        n_threads_batch=threads,
                        verbose=False,
                    )
            except (ValueError, RuntimeError) as exc:
                raise UserError(
                    f"llama.cpp cannot load {path} ({exc}). Check that it is a complete GGUF "
                    "model file, or lower --ctx"
                ) from None
            formatter = _chat_formatter(llama_cpp, llama)
            if formatter is not None:
                llama.chat_handler = formatter.to_chat_handler()
            loaded = _Loaded(llama=llama, formatter=formatter)
            _LOADED[key] = loaded
    return loaded


class LocalBackend:
    """A GGUF model run by llama.cpp inside this process."""

    def __init__(
        self,
        model_path: Path,
        *,
        name: str | None = None,
        ctx: int | None = None,
        threads: int | None = None,
    ) -> None:
        self.model_path = model_path
        self._name = name or model_path.stem
        self.threads = threads or os.cpu_count() or 1
        self._ctx = ctx or DEFAULT_CTX
        if self._ctx < 512:
            raise UserError(f"--ctx {ctx} is too small. Use at least 512 (default {DEFAULT_CTX})")
        self._loaded = load_model(model_path, ctx=self._ctx, threads=self.threads)

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalBackend:
        """The backend for SETTINGS' model_path (or the bundled model), threads and ctx."""
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
        """Tokens TEXT takes, by the model's own tokenizer."""
        return len(self._loaded.llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def prompt_tokens(self, request: Request) -> int:
        """Tokens the chat-formatted prompt of REQUEST takes."""
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        formatter = self._loaded.formatter
        if formatter is None:
            return sum(self.count_tokens(m.content) + _TEMPLATE_OVERHEAD for m in request.messages)
        result = formatter(messages=messages)
        tokens = self._loaded.llama.tokenize(
            result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True
        )
        return len(tokens)

    def _check_fits(self, request: Request) -> None:
        n_ctx = self._ctx
        reserve = min(request.max_tokens, MIN_ANSWER_TOKENS)
        needed = self.prompt_tokens(request)
        if needed + reserve > n_ctx:
            raise ContextLengthError(
                f"The prompt takes {needed:,} tokens and the answer needs up to {reserve:,} more, "
                f"over the local model's context of {n_ctx:,} tokens. Shorten the article or "
                "raise --ctx",
                limit=n_ctx,
            )

    def complete(self, request: Request) -> Completion:
        """Generate one grammar-constrained JSON reply to REQUEST."""
        self._check_fits(request)
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        with self._loaded.lock:
            try:
                response = self._loaded.llama.create_chat_completion(
                    messages=messages,
                    response_format={"type": "json_object", "schema": bounded(request.schema)},
                    max_tokens=request.max_tokens,
                    temperature=request.temperature,
                    # Quotes must be copied verbatim: a repeat penalty pushes the model
                    # away from the article's own words.
                    repeat_penalty=1.0,
                    seed=0,
                )
            except ValueError as exc:
                if "context window" in str(exc):
                    raise ContextLengthError(
                        f"{exc}. Shorten the article or raise --ctx", limit=self._ctx
                    ) from None
                raise UnexpectedModelBehavior(
                    f"llama.cpp rejected the request ({exc}). Report this with --verbose output"
                ) from None
        choice = response["choices"][0]
        usage = response.get("usage") or {}
        return Completion(
            text=choice["message"].get("content") or "",
            finish_reason=choice.get("finish_reason"),
            usage=Usage(
                prompt_tokens=int(usage.get("prompt_tokens", 0)),
                completion_tokens=int(usage.get("completion_tokens", 0)),
                requests=1,
            ),
        )


# Small models under a grammar can loop: the same alias or claim over and over until the
# token limit. Bounds in the grammar end a runaway list or string early instead.
MAX_ITEMS = 16
MAX_STRING_CHARS = 400


def bounded(schema: Any) -> Any:
    """SCHEMA with maxItems on every array and maxLength on every string that lacks one."""
    if isinstance(schema, list):
        return [bounded(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: bounded(v) for k, v in schema.items()}
    if out.get("type") == "array":
        out.setdefault("maxItems", MAX_ITEMS)
    if out.get("type") == "string" and "enum" not in out:
        out.setdefault("maxLength", MAX_STRING_CHARS)
    return out
