"""The model inside the Ray job: `ray.data.llm` processors (vLLM on GPUs, or any HTTP endpoint).

Instead of each actor calling an endpoint, the job runs in rounds. An article's
conversation (`Summarizer.conversation`) is deterministic, so it can be replayed from the
completions it has had so far: the replay either ends with the article's summary, or asks
for the next round of requests. A round is one Ray Data pass:

    articles + their replies so far --Rounds actors--> outcomes, or the next requests
    requests --our preprocess--> processor (vLLM engine / HTTP) --our postprocess--> completions

and repeats while some article still asks (one round for most articles; re-asks, quote
repairs and chunk merges add one each). Every request carries our structured output
(vLLM: `structured_outputs={"json": schema}`, HTTP: `request_body`'s `response_format`);
the replies go through our validation, grounding and actor resolution as live ones do,
and the outcomes through the same Worker, sink and journal (`run_on_ray(..., in_job=...)`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from summarize.backends.base import Completion, Request
from summarize.backends.openai_compat import estimate_tokens, parse_completion, request_body
from summarize.batch.config import Outcome
from summarize.batch.ray_engine.actors import Articles, Job, found, outcome_row
from summarize.draft.budget import ContextBudget
from summarize.errors import SummarizeError
from summarize.ingest import Document
from summarize.pipeline import Summarizer
from summarize.schemas import ArticleSummary, Usage

MAX_ROUNDS = 8


class ProcessorModel:
    """The `Backend` of a pipeline whose requests a processor sends: it names the model and
    counts tokens offline, and is never asked to complete anything itself."""

    def __init__(self, model: str, context_tokens: int | None = None) -> None:
        self._model = model
        self._context = context_tokens

    @property
    def model_name(self) -> str:
        """The model the processor runs (`ArticleSummary.model`, part of the cache key)."""
        return self._model

    @property
    def context_tokens(self) -> int | None:
        """The context window, when given."""
        return self._context

    def count_tokens(self, text: str) -> int:
        """Tokens of TEXT, estimated offline."""
        return estimate_tokens(text)

    def complete(self, request: Request) -> Completion:
        """Never called: the processor sends the requests."""
        raise RuntimeError("a ray.data.llm processor sends this pipeline's requests, not the pipeline")


def vllm_row(request: Request, model: str) -> dict[str, Any]:
    """REQUEST as a vLLM engine processor row: chat messages, sampling with our JSON Schema.
    The schema travels as JSON text: requests of one round may have different schemas,
    which one Arrow column could not hold as nested values."""
    del model  # the engine runs one model
    return {
        "messages": [{"role": m.role, "content": m.content} for m in request.messages],
        "sampling_params": {
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
            "structured_outputs": {"json": json.dumps(request.schema)},
        },
        "max_tokens": request.max_tokens,
    }


def http_row(request: Request, model: str) -> dict[str, Any]:
    """REQUEST as an HTTP processor row: the body our client would send (json_schema mode),
    as JSON text for the same reason (`http_preprocess` turns it into the payload)."""
    return {"body": json.dumps(request_body(request, "json_schema", model))}


def http_preprocess(row: dict[str, Any]) -> dict[str, Any]:
    """The HTTP processor's preprocess: the payload from our row."""
    return {"payload": json.loads(row["body"])}


def vllm_postprocess(row: dict[str, Any]) -> dict[str, Any]:
    """The vLLM processor's postprocess: the completion, as our rounds read it."""
    generated = int(row.get("num_generated_tokens") or 0)
    completion = {
        "text": row.get("generated_text") or "",
        "finish_reason": "length" if generated >= int(row["max_tokens"]) else "stop",
        "prompt_tokens": int(row.get("num_input_tokens") or 0),
        "completion_tokens": generated,
    }
    return {"rel": row["rel"], "index": row["index"], "completion": json.dumps(completion)}


def http_postprocess(row: dict[str, Any]) -> dict[str, Any]:
    """The HTTP processor's postprocess: the chat completion, parsed as our client parses it."""
    done = parse_completion(row["http_response"], "json_schema")
    completion = {
        "text": done.text,
        "finish_reason": done.finish_reason,
        "prompt_tokens": done.usage.prompt_tokens,
        "completion_tokens": done.usage.completion_tokens,
    }
    return {"rel": row["rel"], "index": row["index"], "completion": json.dumps(completion)}


def completion_of(data: dict[str, Any]) -> Completion:
    """A Completion from a postprocessed reply."""
    tokens = {k: data[k] for k in ("prompt_tokens", "completion_tokens")}
    usage = Usage(**tokens, requests=1)
    return Completion(text=data["text"], finish_reason=data["finish_reason"], usage=usage)


def replay(
    summarizer: Summarizer, doc: Document, rounds: list[list[Completion]]
) -> list[Request] | ArticleSummary:
    """DOC's conversation given ROUNDS of completions: the next round's requests, or its summary
    (with `usage` over every round). A SummarizeError ends the article as it would live. Each
    replay plans with a context budget of its own, so it depends on its own replies only."""
    budget = ContextBudget(summarizer.budget.tokens)
    conversation = summarizer.conversation(doc, estimate_tokens, budget)
    usage = Usage()
    try:
        requests = next(conversation)
        for replies in rounds:
            for reply in replies:
                usage = usage.add(reply.usage)
            requests = conversation.send(replies)
    except StopIteration as stop:
        summary: ArticleSummary = stop.value
        return summary.model_copy(update={"usage": usage})
    except SummarizeError as exc:
        exc.usage = usage
        raise
    return requests


class Rounds(Articles):
    """The Ray Data transform of one round: articles and their replies so far in, each one's
    outcome (finished, failed, cached) or its next requests out. An `Articles` actor that
    replays conversations instead of sending requests."""

    def __init__(self, job: Job, to_row: Callable[[Request, str], dict[str, Any]]) -> None:
        super().__init__(job)
        self.to_row = to_row

    def __call__(self, batch: Any) -> Any:
        """One row out per row in."""
        import pyarrow as pa

        return pa.Table.from_pylist(list(self.pool.map(self._step, batch.to_pylist())))

    def _step(self, row: dict[str, Any]) -> dict[str, Any]:
        worker, started = self.worker, time.monotonic()
        if worker.stop.is_set():
            return {**outcome_row(Outcome(row["rel"], "not_started")), "asks": None}
        ready = worker.prepare(found(row), lambda: self._load(row))
        if isinstance(ready, Outcome):
            return {**outcome_row(ready), "asks": None}
        rounds = [[completion_of(c) for c in r] for r in json.loads(row["replies"])]
        try:
            step = replay(worker.summarizer, ready.doc, rounds)
        except SummarizeError as exc:
            return {**outcome_row(worker.failed(ready, exc, exc.usage or Usage(), started)), "asks": None}
        if isinstance(step, ArticleSummary):
            return {**outcome_row(worker.finish(ready, step, started)), "asks": None}
        if worker.halt.is_set():  # the token budget is spent: no new round
            return {**outcome_row(Outcome(row["rel"], "not_started")), "asks": None}
        asked = json.dumps([self.to_row(r, worker.summarizer.model) for r in step])
        return {**outcome_row(Outcome(row["rel"], "not_started")), "status": "ask", "asks": asked}


@dataclass(frozen=True)
class InJob:
    """How `run_on_ray` runs the model inside the job: a processor built with this module's
    pre- and postprocess, and how our requests become its rows."""

    processor: Any
    to_row: Callable[[Request, str], dict[str, Any]]
    model: str
    max_rounds: int = MAX_ROUNDS

    @classmethod
    def vllm(cls, config: Any, model: str, **kw: Any) -> InJob:
        """vLLM engines on the cluster's GPUs (a `vLLMEngineProcessorConfig`)."""
        from ray.data.llm import build_processor

        return cls(build_processor(config, postprocess=vllm_postprocess), vllm_row, model, **kw)

    @classmethod
    def http(cls, config: Any, model: str, **kw: Any) -> InJob:
        """An OpenAI-compatible endpoint called by Ray's own HTTP stage (an `HttpRequestProcessorConfig`)."""
        from ray.data.llm import build_processor

        processor = build_processor(config, preprocess=http_preprocess, postprocess=http_postprocess)
        return cls(processor, http_row, model, **kw)

    def batches(self, rows: list[dict[str, Any]], job: Job, workers: int) -> Iterator[list[dict[str, Any]]]:
        """Outcome rows, round after round, until no article asks for more."""
        import ray.data

        replies: dict[str, list[list[dict[str, Any]]]] = {row["rel"]: [] for row in rows}
        for _ in range(self.max_rounds):
            todo = [{**row, "replies": json.dumps(replies[row["rel"]])} for row in rows]
            stepped = ray.data.from_items(todo).map_batches(
                Rounds,
                fn_constructor_kwargs={"job": job, "to_row": self.to_row},
                batch_format="pyarrow",
                compute=ray.data.ActorPoolStrategy(size=workers),
            )
            asks: dict[str, list[dict[str, Any]]] = {}
            for batch in stepped.iter_batches(batch_size=None, batch_format="pyarrow"):
                out = batch.to_pylist()
                asks.update({r["rel"]: json.loads(r["asks"]) for r in out if r["status"] == "ask"})
                yield [r for r in out if r["status"] != "ask"]
            if not asks:
                return
            for rel, completions in self._answer(asks).items():
                replies[rel].append(completions)
            rows = [row for row in rows if row["rel"] in asks]
        yield [_too_many(row["rel"], self.max_rounds) for row in rows]

    def _answer(self, asks: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
        """Every asked request through the processor; the completions of each article in order."""
        import ray.data

        requests = [{"rel": rel, "index": i, **r} for rel, rs in asks.items() for i, r in enumerate(rs)]
        answered: dict[str, dict[int, dict[str, Any]]] = {rel: {} for rel in asks}
        for row in self.processor(ray.data.from_items(requests)).iter_rows():
            answered[row["rel"]][int(row["index"])] = json.loads(row["completion"])
        return {rel: [got[i] for i in sorted(got)] for rel, got in answered.items()}


def _too_many(rel: str, rounds: int) -> dict[str, Any]:
    error = f"the conversation needed more than {rounds} rounds. Raise max_rounds"
    return outcome_row(Outcome(rel, "failed", error=error))
