"""The Ray engine: `summarize batch SRC -o DEST --engine ray` on Ray Data, local or a cluster.

SRC and DEST are folders or object-store URIs (`places`). The driver lists SRC with the
thread engine's rules and streams (rel, path, label) rows through `map_batches` on a pool
of actors (`actors`), each holding one pipeline built by `Summarizer.from_settings` and
running the thread engine's own `Worker`. One actor, the gate (`gate`), holds the AIMD
limit for the whole cluster. Outcomes come back to the driver, the only writer of the
journal: results.jsonl for a folder, JSONL shards for object storage (`shards`).
`llm` runs the model inside the job instead, with `ray.data.llm` and vLLM.

Nothing here imports Ray at import time: `summarize --help` stays fast and a missing Ray
is one error line that names the extra.
"""

from __future__ import annotations

from summarize.batch.ray_engine.run import RayOptions, require_ray, run_on_ray

__all__ = ["RayOptions", "require_ray", "run_on_ray"]
