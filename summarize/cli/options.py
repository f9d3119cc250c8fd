"""Options shared by the commands, declared once; their defaults and help come from Settings."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TypeVar, cast

import typer

from summarize.config import DEFAULTS, MIN_CTX, Settings


class ModeChoice(str, Enum):
    auto = "auto"
    json_schema = "json_schema"
    json_object = "json_object"
    tools = "tools"


class StrategyChoice(str, Enum):
    auto = "auto"
    one_pass = "one-pass"
    passes = "passes"


_E = "Endpoint"
_L = "Local model"
_D = "Drafting"
_I = "Input"
D = DEFAULTS

Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Log progress and show tracebacks.")]
Raw = Annotated[
    bool, typer.Option("--raw", help="Keep the text as is: no boilerplate removal.", rich_help_panel=_I)
]
MaxBytes = Annotated[
    int | None,
    typer.Option(
        "--max-bytes", min=1, help=f"Refuse larger input files [{D.max_bytes:,}].", rich_help_panel=_I
    ),
]


def _language_code(option: str) -> Callable[[str | None], str | None]:
    """A typer callback: a bad ISO 639-1 code for OPTION is a usage error (exit 2)."""

    def check(value: str | None) -> str | None:
        from summarize.text.languages import is_language_code

        if value is None:
            return None
        code = value.strip().lower()
        if not is_language_code(code):
            raise typer.BadParameter(
                f"{value!r} is not an ISO 639-1 language code. Pass two letters such as en, ru or uk",
                param_hint=option,
            )
        return code

    return check


Language = Annotated[
    str | None,
    typer.Option(
        "--language",
        help="The articles' language, ISO 639-1 (en, ru, uk) [detected for each article].",
        callback=_language_code("--language"),
        rich_help_panel=_I,
    ),
]
SummaryLanguage = Annotated[
    str | None,
    typer.Option(
        "--summary-language",
        help="Write the summary and claim texts in this language, ISO 639-1; quotes stay "
        "verbatim [the article's].",
        callback=_language_code("--summary-language"),
        rich_help_panel=_D,
    ),
]

# name, annotation, default: appended to a command's signature by `with_settings`.
_INGEST = (("raw", Raw, False), ("max_bytes", MaxBytes, None))
_MODEL = (
    ("language", Language, None),
    ("summary_language", SummaryLanguage, None),
    (
        "base_url",
        Annotated[
            str | None,
            typer.Option(
                "--base-url", help="OpenAI-compatible endpoint [env: OPENAI_BASE_URL].", rich_help_panel=_E
            ),
        ],
        None,
    ),
    (
        "api_key",
        Annotated[
            str | None,
            typer.Option(
                "--api-key", help="API key [env: OPENAI_API_KEY]. Never printed.", rich_help_panel=_E
            ),
        ],
        None,
    ),
    (
        "model",
        Annotated[
            str | None, typer.Option("--model", help="Model name [env: SUMMARIZE_MODEL].", rich_help_panel=_E)
        ],
        None,
    ),
    (
        "mode",
        Annotated[
            ModeChoice,
            typer.Option(
                "--mode", help="Structured-output mode; auto steps down when refused.", rich_help_panel=_E
            ),
        ],
        ModeChoice.auto,
    ),
    (
        "max_retries",
        Annotated[
            int | None,
            typer.Option(
                "--max-retries",
                help=f"Transport retries per request [{D.max_retries}]; "
                f"all retries of a request stop after {D.retry_budget:g} s.",
                rich_help_panel=_E,
            ),
        ],
        None,
    ),
    (
        "timeout",
        Annotated[
            float | None,
            typer.Option(
                "--timeout",
                help=f"Longest silence of the endpoint, in seconds: to the first byte, then "
                f"between streamed chunks [{D.timeout:g}].",
                rich_help_panel=_E,
            ),
        ],
        None,
    ),
    (
        "request_timeout",
        Annotated[
            float | None,
            typer.Option(
                "--request-timeout",
                help=f"Longest one whole request may take, in seconds [{D.request_timeout:g}].",
                rich_help_panel=_E,
            ),
        ],
        None,
    ),
    (
        "context_tokens",
        Annotated[
            int | None,
            typer.Option(
                "--context-tokens", help="Endpoint context window, for chunking.", rich_help_panel=_E
            ),
        ],
        None,
    ),
    (
        "local",
        Annotated[bool, typer.Option("--local", help="Force the embedded local model.", rich_help_panel=_L)],
        False,
    ),
    (
        "model_path",
        Annotated[
            str | None,
            typer.Option("--model-path", help="GGUF file [env: SUMMARIZE_LOCAL_MODEL].", rich_help_panel=_L),
        ],
        None,
    ),
    (
        "threads",
        Annotated[
            int | None,
            typer.Option("--threads", min=1, help="CPU threads [all cores].", rich_help_panel=_L),
        ],
        None,
    ),
    (
        "ctx",
        Annotated[
            int | None,
            typer.Option("--ctx", min=MIN_CTX, help="Context tokens of the local model.", rich_help_panel=_L),
        ],
        None,
    ),
    (
        "strategy",
        Annotated[
            StrategyChoice,
            typer.Option(
                "--strategy",
                help="How to draft: one-pass, passes (small models), or auto.",
                rich_help_panel=_D,
            ),
        ],
        StrategyChoice.auto,
    ),
    (
        "max_tokens",
        Annotated[
            int | None,
            typer.Option(
                "--max-tokens",
                help=f"Completion token limit per request [{D.max_tokens}].",
                rich_help_panel=_D,
            ),
        ],
        None,
    ),
    (
        "max_reasks",
        Annotated[
            int | None,
            typer.Option(
                "--max-reasks",
                min=0,
                help=f"Re-asks after an invalid reply [{D.max_reasks}].",
                rich_help_panel=_D,
            ),
        ],
        None,
    ),
    (
        "prompts_dir",
        Annotated[
            Path | None,
            typer.Option("--prompts", help="Folder with your own prompts/*.md.", rich_help_panel=_D),
        ],
        None,
    ),
)
_Command = TypeVar("_Command", bound=Callable[..., None])


def with_settings(*, model: bool = True) -> Callable[[_Command], _Command]:
    """Give a command the shared options (input, and with MODEL the endpoint/local/drafting
    ones) as one `settings` argument: a zero-argument function that resolves them (CLI > env >
    defaults) when called, inside the command's own error handling."""
    groups = (*_INGEST, *(_MODEL if model else ()))

    def decorate(command: _Command) -> _Command:
        own = [
            p for p in inspect.signature(command, eval_str=True).parameters.values() if p.name != "settings"
        ]
        shared = [
            inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d, annotation=a)
            for n, a, d in groups
        ]

        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> None:
            values = {name: kwargs.pop(name) for name, _, _ in groups}
            command(settings=lambda: _resolve(values), **kwargs)

        signature = inspect.Signature([*own, *shared])
        wrapper.__signature__ = signature  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in signature.parameters.values()}
        return cast(_Command, wrapper)

    return decorate


def _resolve(cli: dict[str, object]) -> Settings:
    from summarize.config import resolve

    values = {k: (v.value if isinstance(v, Enum) else v) for k, v in cli.items()}
    if values.get("prompts_dir") is not None:
        values["prompts_dir"] = str(values["prompts_dir"])
    values["local"] = values.get("local") or None
    values["raw"] = values.get("raw") or None
    return resolve(values)
