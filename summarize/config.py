"""Settings: one resolver, command line > environment > defaults. Never read at import time.

`Settings` is the only place a default lives: option dataclasses are built from it and the
command line's help text reads it. `resolve` is the only place an environment variable is
read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Literal, get_args
from urllib.parse import urlparse

from summarize.errors import UserError

Mode = Literal["auto", "json_schema", "json_object", "tools"]
MODES: tuple[str, ...] = get_args(Mode)
Strategy = Literal["auto", "one-pass", "passes"]
STRATEGIES: tuple[str, ...] = get_args(Strategy)

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
# Hosts that refuse anonymous requests: a missing key there is an error, not a guess.
KEYED_HOSTS = (
    "api.openai.com",
    ".openai.azure.com",
    "api.groq.com",
    "api.together.xyz",
    "openrouter.ai",
)
MB = 1024 * 1024
# llama.cpp needs room for the chat template, the schema's grammar and an answer.
MIN_CTX = 512

# Environment variable -> Settings field. Read by `resolve` only.
ENV = {
    "OPENAI_BASE_URL": "base_url",
    "OPENAI_API_KEY": "api_key",
    "SUMMARIZE_MODEL": "model",
    "SUMMARIZE_LOCAL_MODEL": "model_path",
    "SUMMARIZE_CACHE_DIR": "cache_dir",
}


@dataclass(frozen=True)
class Settings:
    """Everything that decides how an article is read and summarized."""

    # where the model is
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    model: str | None = None
    local: bool = False
    model_path: str | None = None
    cache_dir: str | None = None
    threads: int | None = None
    ctx: int | None = None
    # how requests are sent
    mode: Mode = "auto"
    max_retries: int = 6
    retry_budget: float = 40.0
    timeout: float = 120.0
    """The longest silence of an endpoint: until the first byte, then between chunks."""
    request_timeout: float = 1800.0
    """The longest one whole request may take, however steadily the server answers."""
    connect_timeout: float = 5.0
    context_tokens: int | None = None
    # how the article is drafted
    strategy: Strategy = "auto"
    max_reasks: int = 2
    max_tokens: int = 2048
    max_tokens_cap: int = 8192
    repair: bool = True
    temperature: float = 0.0
    prompts_dir: str | None = None
    # how the article is read
    raw: bool = False
    max_bytes: int = 5 * MB
    language: str | None = None
    """ISO 639-1 code of the articles' language (--language); None: detected for each article."""
    summary_language: str | None = None
    """ISO 639-1 code the summary and claim texts are written in (--summary-language); None:
    the article's own language."""

    @property
    def uses_local(self) -> bool:
        """Whether the embedded model is used (contract: no endpoint configured, or --local)."""
        return self.local or (self.base_url is None and self.api_key is None)

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with CHANGES applied (None values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]


DEFAULTS = Settings()
"""The defaults, for help texts and option dataclasses."""

NOT_RESULT_SHAPING = frozenset(
    {"base_url", "api_key", "cache_dir", "threads", "max_retries", "retry_budget", "timeout"}
    | {"connect_timeout", "prompts_dir"}
)
"""Settings fields that change where a request goes or how patiently it is sent, never what it
asks or what its answer becomes (the prompts' folder counts by its content, the model by its
label and file). The batch cache key covers EVERY OTHER field, so an option added to Settings
is covered unless it is declared here: a rerun redoes an article when it changes."""


def result_shaping(s: Settings) -> dict[str, object]:
    """The fields of S that can change an article's result (all but NOT_RESULT_SHAPING)."""
    return {f.name: getattr(s, f.name) for f in fields(s) if f.name not in NOT_RESULT_SHAPING}


_FIELDS = frozenset(f.name for f in fields(Settings))


def resolve(cli: Mapping[str, object] | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from command-line values (None = not given), then env, then defaults."""
    cli = cli or {}
    env = os.environ if env is None else env
    unknown = set(cli) - _FIELDS
    if unknown:
        raise UserError(f"unknown setting(s) {', '.join(sorted(unknown))}. Check the option names")
    from_env = {name: env.get(var) or None for var, name in ENV.items()}
    values = {**from_env, **{k: v for k, v in cli.items() if v is not None}}
    settings = DEFAULTS.with_overrides(**values)
    check(settings)
    return settings


def check(s: Settings) -> None:
    """Refuse settings that cannot work, with what to do instead."""
    if s.mode not in MODES:
        raise UserError(f"unknown --mode {s.mode!r}. Use one of {', '.join(MODES)}")
    if s.strategy not in STRATEGIES:
        raise UserError(f"unknown --strategy {s.strategy!r}. Use one of {', '.join(STRATEGIES)}")
    if s.max_retries < 0:
        raise UserError("--max-retries must be 0 or more. Pass e.g. --max-retries 4")
    if s.timeout <= 0:
        raise UserError("--timeout must be positive seconds. Pass e.g. --timeout 120")
    if s.request_timeout <= 0:
        raise UserError("--request-timeout must be positive seconds. Pass e.g. --request-timeout 1800")
    if s.max_tokens < 1:
        raise UserError("--max-tokens must be 1 or more. Pass e.g. --max-tokens 2048")
    for option, code in (("--language", s.language), ("--summary-language", s.summary_language)):
        if code is not None:
            check_language(option, code)
    check_local(ctx=s.ctx, threads=s.threads)


def check_language(option: str, code: str) -> None:
    """Refuse a CODE for OPTION that is not an ISO 639-1 language code."""
    from summarize.text.languages import is_language_code

    if not is_language_code(code):
        raise UserError(
            f"{option} {code!r} is not an ISO 639-1 language code. Pass two letters such as en, ru or uk"
        )


def check_local(*, ctx: int | None, threads: int | None) -> None:
    """Refuse a local model's context or thread count that llama.cpp cannot run with."""
    if ctx is not None and ctx < MIN_CTX:
        raise UserError(f"--ctx {ctx} is too small. Use at least {MIN_CTX}, or leave it out for the default")
    if threads is not None and threads < 1:
        raise UserError(
            f"--threads {threads} is not a thread count. Use 1 or more, or leave it out for all cores"
        )


def check_endpoint(s: Settings) -> None:
    """Refuse an endpoint that cannot answer: a bad URL, a hosted one without a key, no model."""
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
    if s.base_url is not None and s.model is None:
        raise UserError("no model name given for --base-url. Pass --model NAME or set SUMMARIZE_MODEL")


def needs_key(base_url: str | None) -> bool:
    """Whether BASE_URL is a hosted service that refuses requests without a key."""
    if base_url is None:
        return True
    host = urlparse(base_url).hostname or ""
    return any(host == h or (h.startswith(".") and host.endswith(h)) for h in KEYED_HOSTS)
