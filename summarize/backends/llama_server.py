"""llama.cpp's own server code, run inside this process by the prebuilt xllamacpp wheel.

xllamacpp runs llama.cpp's server in-process. Every completion goes through
`Server.handle_chat_completions(dict)`, a plain function call, never through HTTP. The
server insists on listening somewhere, though, so it listens on a Unix socket in a private
folder (0700) with a random key: no network port is ever opened. That socket carries the two
things xllamacpp's Python API lacks, exact token counts (`/tokenize`) and the GGUF's own chat
template (`/apply-template`).

Replies are constrained to the request's JSON Schema by an LLGuidance grammar that allows
no whitespace outside strings: compact JSON, a quarter to a half fewer tokens than the
pretty-printed JSON the model otherwise writes. The server has one slot and keeps its KV
cache between requests, so a prompt that starts like the previous one (same system message,
same article) is evaluated only from where it differs. docs/MODELS.md has the measurements.
"""

from __future__ import annotations

import atexit
import http.client
import json
import logging
import os
import re
import secrets
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from summarize.errors import ContextLengthError, UnexpectedModelBehavior, UserError

log = logging.getLogger(__name__)

# The private socket only carries tokenize and template calls, which take milliseconds.
_SOCKET_TIMEOUT = 30.0

INSTALL_HINT = (
    "The local model needs xllamacpp, which is not installed. "
    "Run `pip install 'summarize[local]'` (a prebuilt wheel, nothing to compile), "
    "or pass --base-url/OPENAI_API_KEY to use an endpoint"
)


def _import_xllamacpp() -> Any:
    # llama.cpp's OpenMP threads spin while they wait by default. With other busy processes
    # on the 2 cores, spinning threads starve each other: generation fell to 1-2 tokens/s
    # here, against 7-16 with PASSIVE (REPORT.md). libgomp reads this once, when it loads,
    # so a user who owns the machine can still choose ACTIVE.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import xllamacpp
    except ImportError:
        raise UserError(INSTALL_HINT) from None
    return xllamacpp


class _UnixConnection(http.client.HTTPConnection):
    """HTTP over the embedded server's private Unix socket."""

    def __init__(self, path: Path) -> None:
        super().__init__("localhost", timeout=_SOCKET_TIMEOUT)
        self._path = path

    def connect(self) -> None:
        """Connect to the socket file instead of a TCP port."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(str(self._path))
        self.sock = sock


@dataclass
class Loaded:
    """One loaded model, its private socket, the lock that serialises generation and the
    event that stops the generation in progress."""

    server: Any
    socket_path: Path
    api_key: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    cancel: threading.Event = field(default_factory=threading.Event)

    def route(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST BODY to one of the server's own routes and return its JSON answer."""
        conn = _UnixConnection(self.socket_path)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.api_key}"}
        try:
            conn.request("POST", path, json.dumps(body), headers)
            response = conn.getresponse()
            status, data = response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise runtime_error(f"the embedded llama.cpp server did not answer {path} ({exc})") from None
        finally:
            conn.close()
        if status != 200:
            raise runtime_error(f"llama.cpp answered {path} with {status}: {data[:200]!r}")
        answer: dict[str, Any] = json.loads(data)
        return answer


_LOADED: dict[tuple[str, int, int], Loaded] = {}
_LOADED_LOCK = threading.Lock()


def _private_socket() -> Path:
    """A socket path in a new folder only this user can enter (mkdtemp: 0700), removed at exit."""
    folder = Path(tempfile.mkdtemp(prefix="summarize-llama-"))
    atexit.register(shutil.rmtree, folder, True)
    # llama.cpp listens on a Unix socket when the "host" ends in .sock.
    return folder / "llama.sock"


def _params(xlc: Any, path: Path, *, ctx: int, threads: int, sock: Path, key: str) -> Any:
    """Server parameters: one slot, no HTTP port, no UI, quiet unless --verbose."""
    p = xlc.CommonParams()
    p.model.path = str(path)
    p.n_ctx = ctx
    p.cpuparams.n_threads = threads
    p.cpuparams_batch.n_threads = threads
    # One slot: every request reuses the same KV cache, so a shared prefix is kept.
    p.n_parallel = 1
    # Fail on overflow rather than silently dropping the start of the article.
    p.ctx_shift = False
    # The RAM prompt cache keeps every past prompt's KV state (8 GiB by default); a batch
    # never returns to an earlier article, so it would only grow the process.
    p.cache_ram_mib = 0
    # Keep n_ctx exactly as asked (fitting is for GPU offload).
    p.fit_params = False
    p.warmup = False
    p.ui = False
    p.hostnames = [str(sock)]
    p.api_keys = [key]
    p.n_threads_http = 2
    # llama.cpp writes its log to stderr itself: its errors (an LLGuidance compile error,
    # a failed load) with --verbose only; 2 would add warnings about the GGUF, 3 every step.
    p.verbosity = 1 if log.isEnabledFor(logging.INFO) else 0
    return p


def _start(path: Path, *, ctx: int, threads: int) -> Loaded:
    xlc = _import_xllamacpp()
    sock, key = _private_socket(), secrets.token_hex(16)
    try:
        server = xlc.Server(_params(xlc, path, ctx=ctx, threads=threads, sock=sock, key=key))
    except (RuntimeError, ValueError) as exc:
        raise UserError(
            f"llama.cpp cannot load {path} ({exc}). Check that it is a complete GGUF model "
            "file and that there is memory for it, or lower --ctx; --verbose shows llama.cpp's log"
        ) from None
    return Loaded(server=server, socket_path=sock, api_key=key)


def load_model(path: Path, *, ctx: int, threads: int) -> Loaded:
    """The process-wide instance of model PATH with CTX and THREADS, loading it on first use."""
    key = (str(path.resolve()), ctx, threads)
    with _LOADED_LOCK:
        loaded = _LOADED.get(key)
        if loaded is None:
            loaded = _start(path, ctx=ctx, threads=threads)
            _LOADED[key] = loaded
    return loaded


def context_error(message: str, limit: int | None) -> ContextLengthError:
    """The one place that builds a ContextLengthError (its signature has changed before)."""
    return ContextLengthError(f"{message}. Shorten the article or raise --ctx", limit=limit)


def runtime_error(what: str, output: str = "") -> UnexpectedModelBehavior:
    return UnexpectedModelBehavior(
        f"{what[:1].upper()}{what[1:]}. Run again with --verbose to see llama.cpp's log, "
        "and report it if it repeats",
        last_output=output,
    )


def error_from(error: dict[str, Any], n_ctx: int) -> Exception:
    """The summarize error for an error object of llama.cpp's server."""
    message = str(error.get("message", error))
    if error.get("type") == "exceed_context_size_error":
        return context_error(f"llama.cpp refused the prompt: {message}", int(error.get("n_ctx", n_ctx)))
    return runtime_error(f"llama.cpp rejected the request ({message})")


# Small models under a grammar can loop: the same alias or claim over and over until the
# token limit. Bounds in the grammar end a runaway list or string early instead.
MAX_ITEMS = 16
MAX_STRING_CHARS = 400

# The GBNF converter's optional whitespace (newlines, indents); used only by builds of
# llama.cpp without LLGuidance, whose json_schema_to_grammar returns GBNF.
_GBNF_SPACE = re.compile(r"^space ::= .*$", re.MULTILINE)


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


def compact_grammar(schema: dict[str, Any]) -> str:
    """A grammar for SCHEMA (bounded) that allows no whitespace outside strings."""
    xlc = _import_xllamacpp()
    # The request's `json_schema` field goes through llama.cpp's GBNF converter, which
    # lets the model pretty-print; LLGuidance's `%json` honours this compact option.
    strict = {**bounded(schema), "x-guidance": {"whitespace_flexible": False}}
    grammar = str(xlc.json_schema_to_grammar(strict))
    if grammar.startswith("%llguidance"):
        return grammar
    return _GBNF_SPACE.sub('space ::= ""', grammar)


def is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def stream(loaded: Loaded, body: dict[str, Any]) -> dict[str, Any]:
    """Generate BODY streamed, stopping at once when `loaded.cancel` is set.

    Returns {"text", "finish_reason", "usage", "timings"} or {"error"}. Streaming is what
    makes a generation stoppable: returning True from the callback cancels it in llama.cpp.
    """
    parts: list[str] = []
    reply: dict[str, Any] = {"finish_reason": None}

    def on_chunk(chunk: dict[str, Any]) -> bool:
        # xllamacpp swallows exceptions raised here: keep this free of failure points.
        for choice in chunk.get("choices") or []:
            parts.append((choice.get("delta") or {}).get("content") or "")
            reply["finish_reason"] = choice.get("finish_reason") or reply["finish_reason"]
        reply.update({k: chunk[k] for k in ("usage", "timings", "error") if k in chunk})
        return loaded.cancel.is_set()

    streamed = {**body, "stream": True, "stream_options": {"include_usage": True}}
    try:
        loaded.server.handle_chat_completions(streamed, on_chunk)
    except (RuntimeError, ValueError) as exc:
        raise runtime_error(f"llama.cpp failed ({exc})") from None
    return {**reply, "text": "".join(parts)}


def run_cancellable(work: Callable[[], dict[str, Any]], cancel: threading.Event) -> dict[str, Any]:
    """WORK's result, computed in a helper thread so that Ctrl-C in this one stops it.

    A blocking call into llama.cpp holds off KeyboardInterrupt until the whole answer is
    generated (33 s in a test here); waiting on a thread lets the signal through, and the
    cancel event then stops the generation within a token.
    """
    box: dict[str, Any] = {}
    done = threading.Event()

    def target() -> None:
        try:
            box["reply"] = work()
        except Exception as exc:  # handed to the calling thread below
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, name="llama-generate", daemon=True).start()
    # Not Thread.join: on Python 3.11 a join interrupted by Ctrl-C marks the thread as
    # stopped while it still runs, and the next request would queue behind it.
    try:
        while not done.wait(0.1):
            pass
    except BaseException:
        cancel.set()
        done.wait()
        raise
    if "error" in box:
        raise box["error"]
    reply: dict[str, Any] = box["reply"]
    return reply
