from __future__ import annotations

import pytest

from summarize.config import Settings, needs_key, resolve
from summarize.errors import UserError


def test_no_endpoint_means_the_local_model() -> None:
    assert resolve({}, env={}).uses_local


def test_any_endpoint_setting_means_the_endpoint() -> None:
    assert not resolve({}, env={"OPENAI_API_KEY": "k"}).uses_local
    assert not resolve({}, env={"OPENAI_BASE_URL": "http://localhost:8080/v1"}).uses_local
    assert not resolve({"base_url": "http://localhost:8080/v1"}, env={}).uses_local


def test_local_flag_forces_the_local_model() -> None:
    assert resolve({"local": True}, env={"OPENAI_API_KEY": "k"}).uses_local


def test_command_line_beats_environment() -> None:
    s = resolve({"model": "cli-model"}, env={"SUMMARIZE_MODEL": "env-model", "OPENAI_API_KEY": "k"})
    assert s.model == "cli-model"
    assert resolve({}, env={"SUMMARIZE_MODEL": "env-model", "OPENAI_API_KEY": "k"}).model == "env-model"


def test_hosted_endpoint_without_key_is_refused_with_the_env_var_name() -> None:
    with pytest.raises(UserError, match="Set OPENAI_API_KEY"):
        resolve({"base_url": "https://api.openai.com/v1"}, env={})


def test_self_hosted_endpoint_needs_no_key() -> None:
    assert not needs_key("http://localhost:11434/v1")
    assert needs_key("https://myres.openai.azure.com/openai")


def test_bad_values_are_user_errors() -> None:
    with pytest.raises(UserError, match="--base-url"):
        resolve({"base_url": "localhost:8080"}, env={})
    with pytest.raises(UserError, match="--max-retries"):
        resolve({"max_retries": -1}, env={"OPENAI_API_KEY": "k"})


def test_key_is_not_in_repr() -> None:
    assert "sk-secret" not in repr(Settings(api_key="sk-secret"))
