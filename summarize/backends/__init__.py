"""Ways to reach a model, and what is known of one before it is reached.

Each backend module is imported only when used (the openai SDK and llama.cpp are slow to
import). `model_label`, `context_size` and `is_small` answer from the settings alone, so
a fully cached batch or a dry run never loads a model.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from summarize.backends.base import Backend, Completion, Message, Request
from summarize.config import DEFAULT_OPENAI_MODEL, Settings

__all__ = [
    "Backend",
    "Completion",
    "Message",
    "Request",
    "context_size",
    "is_small",
    "labels_positions",
    "make_backend",
    "model_label",
]

# OpenAI's current chat models take 128k tokens. Self-hosted servers are often run with far
# less (llama.cpp and Ollama default to 4k-8k), so assume 8k there unless told otherwise.
OPENAI_CONTEXT_TOKENS = 128_000
SELF_HOSTED_CONTEXT_TOKENS = 8192
# A GGUF under this size is a model of about 2B parameters or less at 4-bit: too small to
# fill the whole schema in one answer (docs/MODELS.md measured 0.5B and 1.5B models).
SMALL_MODEL_BYTES = 1_500_000_000
# An endpoint's model under this many parameters gets the passes drafter: the 0.5B and 1.5B
# models were measured unable to fill the whole schema in one answer (docs/MODELS.md).
SMALL_MODEL_PARAMS = 3_000_000_000
# A size tag in a model name: "qwen2.5-coder-0.5b-instruct", "llama3.1:8b", "Qwen2.5-1.5B",
# "SmolLM2-360M". Not "8x7b" (a mixture), not the "2.5" of a version.
_SIZE_TAG = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)([bm])(?![a-z])", re.IGNORECASE)

log = logging.getLogger(__name__)


def make_backend(settings: Settings) -> Backend:
    """The backend SETTINGS ask for: the embedded model, or an OpenAI-compatible endpoint."""
    if settings.uses_local:
        from summarize.backends.local import LocalBackend

        return LocalBackend.from_settings(settings)
    from summarize.backends.openai_compat import OpenAICompatBackend

    return OpenAICompatBackend.from_settings(settings)


def model_label(settings: Settings) -> str:
    """The name the backend will report, known without loading or reaching the model."""
    if settings.uses_local:
        from summarize.backends.model_files import bundled_for

        model = bundled_for(settings.model_path)
        return model.name if model else Path(str(settings.model_path)).stem
    return settings.model or DEFAULT_OPENAI_MODEL


def context_size(settings: Settings) -> int:
    """The context window the backend will have, known without loading the model."""
    if settings.uses_local:
        from summarize.backends.local import DEFAULT_CTX

        return settings.ctx or DEFAULT_CTX
    if settings.context_tokens:
        return settings.context_tokens
    return OPENAI_CONTEXT_TOKENS if settings.base_url is None else SELF_HOSTED_CONTEXT_TOKENS


def labels_positions(settings: Settings) -> bool:
    """Whether the model was measured to label a statement's position (a bundled model's own
    measurement; any other model is trusted to)."""
    if not settings.uses_local:
        return True
    from summarize.backends.model_files import bundled_for

    model = bundled_for(settings.model_path)
    return model.labels_positions if model else True


def is_small(settings: Settings) -> bool:
    """Whether the model is too small to fill the whole schema in one answer.

    The bundled models are (measured); a GGUF of your own is judged by its file size; an
    endpoint's model by its parameter count (`endpoint_params`): under SMALL_MODEL_PARAMS is
    small, an unknown size is taken for a capable model.
    """
    if not settings.uses_local:
        params = endpoint_params(settings)
        return params is not None and params < SMALL_MODEL_PARAMS
    from summarize.backends.model_files import bundled_for

    if bundled_for(settings.model_path):
        return True
    try:
        return Path(str(settings.model_path)).expanduser().stat().st_size < SMALL_MODEL_BYTES
    except OSError:
        return False


def params_in_name(name: str | None) -> int | None:
    """The parameter count a model name's size tag gives ("0.5b", "7B", "360M"), if it has one."""
    found = _SIZE_TAG.search(name or "")
    if found is None:
        return None
    return int(float(found.group(1)) * (1e9 if found.group(2).lower() == "b" else 1e6))


def endpoint_params(settings: Settings) -> int | None:
    """The endpoint model's parameter count: what the server says (`/v1/models`), else the
    size tag of --model, else of the name the server lists. None when nothing tells.

    OpenAI's own API (no --base-url) is not asked: its models are all large.
    """
    if settings.base_url is None:
        return None
    from summarize.backends.openai_compat import listed_model

    listed = listed_model(settings)
    said = listed.params if listed else None
    params = said or params_in_name(settings.model) or params_in_name(listed.name if listed else None)
    source = "the server" if said else "the model name" if params else "nothing"
    log.info("model size: %s parameters (from %s)", f"{params / 1e9:.2g}B" if params else "unknown", source)
    return params
