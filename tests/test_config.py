from __future__ import annotations

import pytest

from summarize.config import Settings, check_endpoint, needs_key, resolve
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
        check_endpoint(resolve({"base_url": "https://api.openai.com/v1"}, env={}))


def test_self_hosted_endpoint_needs_no_key() -> None:
    assert not needs_key("http://localhost:11434/v1")
    assert needs_key("https://myres.openai.azure.com/openai")


def test_bad_values_are_user_errors() -> None:
    with pytest.raises(UserError, match="--base-url"):
        check_endpoint(resolve({"base_url": "localhost:8080"}, env={}))
    with pytest.raises(UserError, match="--model"):
        check_endpoint(resolve({"base_url": "http://localhost:8080/v1"}, env={}))
    with pytest.raises(UserError, match="--max-retries"):
        resolve({"max_retries": -1}, env={"OPENAI_API_KEY": "k"})
    with pytest.raises(UserError, match="--ctx 100 is too small"):
        resolve({"ctx": 100}, env={})
    with pytest.raises(UserError, match="--threads 0"):
        resolve({"threads": 0}, env={})


def test_key_is_not_in_repr() -> None:
    assert "sk-secret" not in repr(Settings(api_key="sk-secret"))


def test_every_environment_variable_is_read_by_the_resolver() -> None:
    env = {"SUMMARIZE_CACHE_DIR": "/c", "SUMMARIZE_LOCAL_MODEL": "/m.gguf", "SUMMARIZE_MODEL": "x"}
    s = resolve({}, env=env)
    assert (s.cache_dir, s.model_path, s.model) == ("/c", "/m.gguf", "x")


def test_an_unknown_setting_is_refused() -> None:
    with pytest.raises(UserError, match="unknown setting"):
        resolve({"max_retry": 3}, env={})
