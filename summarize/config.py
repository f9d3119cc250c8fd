"""Settings: one resolver, command line > environment > defaults. Never read at import time."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal
from urllib.parse import urlparse

from summarize.errors import UserError

Mode = Literal["auto", "json_schema", "json_object", "tools"]
MODES: tuple[str, ...] = ("auto", "json_schema", "json_object", "tools")

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
# Hosts that refuse anonymous requests: a missing key there is an error, not a guess.
KEYED_HOSTS = (
    "api.openai.com",
    ".openai.azure.com",
    "api.groq.com",
    "api.together.xyz",
    "openrouter.ai",
)


@dataclass(frozen=True)
class Settings:
    """Everything that decides how an article is summarized."""

    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    model: str | None = None
    local: bool = False
    model_path: str | None = None
    threads: int | None = None
    ctx: int | None = None
    mode: Mode = "auto"
    max_retries: int = 6
    timeout: float = 120.0
    connect_timeout: float = 5.0
    retry_budget: float = 40.0
    max_reasks: int = 2
    max_tokens: int = 2048
    context_tokens: int | None = None
    prompts_dir: str | None = None
    temperature: float = 0.0

    @property
    def uses_local(self) -> bool:
        """Whether the embedded model is used (contract: no endpoint configured, or --local)."""
        return self.local or (self.base_url is None and self.api_key is None)

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with CHANGES applied (None values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]


def resolve(cli: Mapping[str, object], env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from command-line values (None = not given), then env, then defaults."""
    env = os.environ if env is None else env

    def pick(key: str, var: str | None = None) -> object:
        value = cli.get(key)
        if value is None and var is not None:
            value = env.get(var) or None
        return value

    mode = cli.get("mode") or "auto"
    if mode not in MODES:
        raise UserError(f"unknown --mode {mode!r}. Use one of {', '.join(MODES)}")
    settings = Settings().with_overrides(
        base_url=pick("base_url", "OPENAI_BASE_URL"),
        api_key=pick("api_key", "OPENAI_API_KEY"),
        model=pick("model", "SUMMARIZE_MODEL"),
        local=bool(cli.get("local")) or None,
        model_path=pick("model_path", "SUMMARIZE_LOCAL_MODEL"),
        mode=mode,
        **{k: cli.get(k) for k in _PLAIN},
    )
    _check(settings)
    return settings


_PLAIN = (
    "threads",
    "ctx",
    "max_retries",
    "timeout",
    "max_reasks",
    "max_tokens",
    "context_tokens",
    "prompts_dir",
)


def _check(s: Settings) -> None:
    if s.max_retries < 0:
        raise UserError("--max-retries must be 0 or more. Pass e.g. --max-retries 4")
    if s.timeout <= 0:
        raise UserError("--timeout must be positive seconds. Pass e.g. --timeout 120")
    if s.uses_local:
        return
    if s.base_url is not None and urlparse(s.base_url).scheme not in ("http", "https"):
        raise UserError(
            f"--base-url {s.base_url!r} is not an http(s) URL. Pass e.g. http://localhost:11434/v1"
        )
    if s.api_key is None and needs_key(s.base_url):
        raise UserError(
            f"{s.base_url or 'api.openai.com'} needs an API key. Set OPENAI_API_KEY "
            "(export OPENAI_API_KEY=...) or pass --api-key; or run offline with --local"
        )


def needs_key(base_url: str | None) -> bool:
    """Whether BASE_URL is a hosted service that refuses requests without a key."""
    if base_url is None:
        return True
    host = urlparse(base_url).hostname or ""
    return any(host == h or (h.startswith(".") and host.endswith(h)) for h in KEYED_HOSTS)
