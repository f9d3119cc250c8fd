"""A three-node Ray cluster simulated on this machine (`ray.cluster_utils.Cluster`) reads a folder
and writes to object storage: a loopback S3 (moto's server mode) reached through s3:// URIs, so
pyarrow's real S3 client runs in every worker."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from summarize.batch import BatchConfig
from summarize.batch.ray_engine import RayOptions, run_on_ray
from summarize.config import Settings
from summarize.testing import FakeOpenAIServer, echo_responder
from tests.conftest import ray_environment
from tests.fakes import make_articles

pytestmark = pytest.mark.slow

NODE = {"num_cpus": 1, "object_store_memory": 80 * 1024 * 1024, "node_ip_address": "127.0.0.1"}
BUCKET = "news"


@pytest.fixture(scope="module")
def s3_env() -> Iterator[dict[str, str]]:
    """A loopback S3 and the environment that points clients at it."""
    moto_server = pytest.importorskip("moto.server")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a line per request otherwise
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    port = server.get_host_and_port()[1]
    yield {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    server.stop()


@pytest.fixture(scope="module")
def cluster(s3_env: dict[str, str]) -> Iterator[Any]:
    """Three Ray nodes of one CPU each on this machine, started with the S3 environment."""
    ray = pytest.importorskip("ray")
    from ray.cluster_utils import Cluster

    ray.shutdown()  # one Ray at a time
    with ray_environment(**s3_env), pytest.MonkeyPatch.context() as patch:
        # The nodes listen on loopback only; without this, ray.init turns the loopback address
        # into this machine's network address before connecting, and never gets through.
        patch.setattr("ray._private.ray_constants.ENABLE_RAY_CLUSTER", False)
        nodes = Cluster(initialize_head=True, head_node_args={**NODE, "include_dashboard": False})
        try:
            for _ in range(2):
                nodes.add_node(**NODE)
            nodes.wait_for_nodes()
            yield nodes
        finally:
            ray.shutdown()
            nodes.shutdown()


def s3_objects(env: dict[str, str], prefix: str) -> dict[str, bytes]:
    import boto3

    client = boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"])
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return {o["Key"]: client.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in listed}


def shard_lines(objects: dict[str, bytes]) -> list[dict[str, Any]]:
    shards = sorted(k for k in objects if k.startswith("digests/results/") and k.endswith(".jsonl"))
    return [json.loads(line) for k in shards for line in objects[k].decode().splitlines()]


def test_three_nodes_read_a_folder_and_write_object_storage(
    tmp_path: Path, cluster: Any, s3_env: dict[str, str]
) -> None:
    import boto3

    boto3.client("s3", endpoint_url=s3_env["AWS_ENDPOINT_URL"]).create_bucket(Bucket=BUCKET)
    root = tmp_path / "in"
    rels = make_articles(root, 30)
    # Three actors of one CPU each on three nodes of one CPU each: one actor per node.
    options = RayOptions(str(root), f"s3://{BUCKET}/digests", address=cluster.address, workers=3)
    with FakeOpenAIServer(responder=echo_responder, latency=0.05) as server:
        settings = Settings(base_url=server.base_url, model="fake-model")
        stats = run_on_ray(BatchConfig(root=root, concurrency=6), settings, options)
        assert (stats.ok, stats.failed, len(server.requests)) == (30, 0, 30)
        objects = s3_objects(s3_env, "digests/")
        for rel in rels:
            assert json.loads(objects[f"digests/{rel}.json"])["source"]["path"] == str(root / rel)
        lines = shard_lines(objects)
        assert sorted(r["path"] for r in lines) == rels and {r["status"] for r in lines} == {"ok"}
        assert set(lines[0]) >= {"path", "status", "result", "error", "key", "usage"}
        assert json.loads(objects["digests/run.json"])["outdir"] == f"s3://{BUCKET}/digests"

        again = run_on_ray(BatchConfig(root=root, concurrency=6), settings, options)
        assert (again.cached, len(server.requests)) == (30, 30)  # resumed from the shards

        forced = run_on_ray(BatchConfig(root=root, concurrency=6, force=True), settings, options)
        assert forced.ok == 30
    objects = s3_objects(s3_env, "digests/results/")
    assert len([k for k in objects if k.endswith(".jsonl")]) == 1  # compacted: one line per article
    assert sorted(r["path"] for r in shard_lines(objects)) == rels
