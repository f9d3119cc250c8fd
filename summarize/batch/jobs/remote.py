"""The Files and Batches API through the openai SDK: one method per control call, each retried.

Transport faults (HTTP 408/409/429/5xx, broken connections, timeouts) are retried by
summarize.retry (tenacity, jittered backoff, Retry-After honoured); the client must be built
with `max_retries=0` so there is one retry loop. A retried call that creates something
(an upload, a batch) first looks for what the failed attempt may have made, because a
5xx or a timeout does not say whether the server acted: retrying blindly would make a
second batch of the same requests and pay for them twice.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast

from summarize.backends.openai_compat import httpx_module, redact, retry_after
from summarize.draft.retry import RetryPolicy, call_with_retries
from summarize.errors import ModelConnectionError, ModelHTTPError, SummarizeError
from summarize.fsio import atomic_writer

from .lines import CHAT_URL

if TYPE_CHECKING:
    import openai
    from openai.types import Batch

log = logging.getLogger(__name__)
T = TypeVar("T")
PAGE = 100
COMPLETION_WINDOW: Final = "24h"
"""The only window OpenAI and Azure accept."""
# Listings are newest first; anything made this long before the job cannot belong to it
# (the margin covers clock skew between this machine and the provider).
CLOCK_SKEW = 3600.0
_HINTS = {
    401: "Check OPENAI_API_KEY (or --api-key)",
    403: "Check the key's permissions for the Batch API",
    404: "The server may have no Batch API (Ollama, llama.cpp): use --via jsonl or the live path",
    429: "Wait for the provider's limit to reset (or lower --max-enqueued-tokens)",
}


class Remote:
    """Control calls of one job's batches: upload, create, find, retrieve, cancel, download."""

    def __init__(
        self,
        client: openai.OpenAI,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.policy = dataclasses.replace(
            policy or RetryPolicy(max_retries=8, budget_seconds=300.0), sleep=sleep
        )

    def upload(self, path: Path, filename: str, since: float) -> str:
        """Upload PATH (purpose batch) as FILENAME; a retry reuses an upload that did arrive."""
        size = path.stat().st_size
        tries = 0

        def attempt() -> str:
            nonlocal tries
            tries += 1
            if tries > 1 and (found := self._find_file_once(filename, size, since)):
                return found
            with open(path, "rb") as fh:
                uploaded = self.client.files.create(file=(filename, fh, "application/jsonl"), purpose="batch")
            return uploaded.id

        return self._call(f"POST /v1/files ({filename})", attempt)

    def find_file(self, filename: str, size: int, since: float) -> str | None:
        """The id of an uploaded batch file named FILENAME of SIZE bytes, if there is one."""
        return self._call("GET /v1/files", lambda: self._find_file_once(filename, size, since))

    def create_batch(self, file_id: str, metadata: dict[str, str], since: float) -> Batch:
        """Create the batch of FILE_ID; a retry first looks for the batch by its METADATA."""
        tries = 0

        def attempt() -> Batch:
            nonlocal tries
            tries += 1
            if tries > 1 and (found := self._find_batch_once(metadata, since)):
                return found
            return self.client.batches.create(
                input_file_id=file_id,
                endpoint=CHAT_URL,
                completion_window=COMPLETION_WINDOW,
                metadata=metadata,
            )

        return self._call("POST /v1/batches", attempt)

    def find_batch(self, metadata: dict[str, str], since: float) -> Batch | None:
        """The batch whose metadata holds every pair of METADATA, if there is one."""
        return self._call("GET /v1/batches", lambda: self._find_batch_once(metadata, since))

    def retrieve(self, batch_id: str) -> Batch:
        """The batch as the provider sees it now."""
        return self._call(f"GET /v1/batches/{batch_id}", lambda: self.client.batches.retrieve(batch_id))

    def cancel(self, batch_id: str) -> Batch:
        """Ask the provider to cancel BATCH_ID (it goes through `cancelling`)."""
        return self._call(f"POST /v1/batches/{batch_id}/cancel", lambda: self.client.batches.cancel(batch_id))

    def download(self, file_id: str, dest: Path) -> int:
        """Stream file FILE_ID into DEST atomically; returns its size in bytes."""

        def attempt() -> int:
            size = 0
            with (
                atomic_writer(dest) as out,
                self.client.files.with_streaming_response.content(file_id) as response,
            ):
                for chunk in response.iter_bytes():
                    out.write(chunk)
                    size += len(chunk)
            return size

        return self._call(f"GET /v1/files/{file_id}/content", attempt)

    def _find_file_once(self, filename: str, size: int, since: float) -> str | None:
        files = self.client.files

        def fetch(after: str | None) -> Any:
            if after is None:
                return files.list(purpose="batch", limit=PAGE, order="desc")
            return files.list(purpose="batch", limit=PAGE, order="desc", after=after)

        for item in _newer_than(_pages(fetch), since):
            if item.filename == filename and item.bytes == size:
                return str(item.id)
        return None

    def _find_batch_once(self, metadata: dict[str, str], since: float) -> Batch | None:
        batches = self.client.batches

        def fetch(after: str | None) -> Any:
            return batches.list(limit=PAGE) if after is None else batches.list(limit=PAGE, after=after)

        for batch in _newer_than(_pages(fetch), since):
            found = batch.metadata or {}
            if all(found.get(k) == v for k, v in metadata.items()):
                return cast("Batch", batch)
        return None

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        def translated() -> T:
            try:
                return fn()
            except SummarizeError:
                raise
            except Exception as exc:
                error = _translate(exc, what, self.client.api_key)
                if error is None:
                    raise
                raise error from None

        return call_with_retries(translated, self.policy, _log_failure(what))


def _log_failure(what: str) -> Callable[[BaseException], None]:
    def note(exc: BaseException) -> None:
        log.info("%s failed: %s", what, exc)

    return note


def _pages(fetch: Callable[[str | None], Any]) -> Iterator[Any]:
    """Every item of a cursor-paginated listing (`after` = the last id), a page at a time."""
    after: str | None = None
    while True:
        page = fetch(after)
        items = list(page.data or [])
        yield from items
        if not items or page.has_more is False:
            return
        after = items[-1].id


def _newer_than(items: Iterator[Any], since: float) -> Iterator[Any]:
    """ITEMS (newest first) until one was made well before SINCE."""
    for item in items:
        if item.created_at < since - CLOCK_SKEW:
            return
        yield item


def _translate(exc: Exception, what: str, key: str | None) -> SummarizeError | None:
    """An SDK or HTTP exception as the project's error (what was being done, what to do), or None."""
    import openai

    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        hint = _HINTS.get(status, "Retry later" if status >= 500 else "Check the request")
        try:
            body = redact(exc.response.text[:2000], key)
        except Exception:  # a streamed body that was closed has no text
            body = ""
        return ModelHTTPError(
            f"{what} answered HTTP {status}: {redact(str(exc.message), key)[:300]}. {hint}",
            status=status,
            body=body,
            retry_after=retry_after(exc.response.headers),
        )
    # APITimeoutError is an APIConnectionError; a download broken mid-stream raises the HTTP
    # library's own TransportError, which the SDK does not wrap.
    if isinstance(exc, (openai.APIConnectionError, httpx_module().TransportError)):
        cause = redact(str(exc.__cause__ or exc), key)
        return ModelConnectionError(f"{what} failed: cannot reach the endpoint ({cause}). Retry later")
    if isinstance(exc, openai.APIResponseValidationError):  # an HTML page from a proxy, say
        return ModelConnectionError(f"{what} got an answer that is not the API's. Retry later")
    return None
