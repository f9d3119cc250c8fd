"""Ways to reach a model. Each backend is imported only when used (the openai SDK is slow to import)."""

from __future__ import annotations

from summarize.backends.base import Backend, Completion, Message, Request
from summarize.config import Settings

__all__ = ["Backend", "Completion", "Message", "Request", "make_backend"]


def make_backend(settings: Settings) -> Backend:
    """The backend SETTINGS ask for: the embedded model, or an OpenAI-compatible endpoint."""
    if settings.uses_local:
        from summarize.backends.local import LocalBackend

        return LocalBackend.from_settings(settings)
    from summarize.backends.openai_compat import OpenAICompatBackend

    return OpenAICompatBackend.from_settings(settings)
