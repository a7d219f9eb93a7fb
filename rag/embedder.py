"""Embedder resolver: `minilm-l6` (packaged), any sentence-transformers id, or a local folder."""

from __future__ import annotations

import contextlib
import importlib.util
from pathlib import Path

import numpy as np
import torch

from ragtune.config import PACKAGED_EMBEDDERS
from ragtune.errors import RagtuneError
from ragtune.hardware import precision_dtype


class EmbedderNotFound(RagtuneError, RuntimeError):
    """The configured embedder cannot be found or loaded; the message names model.embedder."""


def resolve_embedder(ref: str) -> str:
    """A folder or hub id that `SentenceTransformer` can load."""
    if ref in PACKAGED_EMBEDDERS:
        package, sub, install = PACKAGED_EMBEDDERS[ref]
        spec = importlib.util.find_spec(package)  # find the folder without importing the package
        if spec is None or not spec.submodule_search_locations:
            raise EmbedderNotFound(
                f"model.embedder={ref!r} is packaged in {package!r}, which is not installed: {install}, "
                "or set model.embedder to a sentence-transformers id or local folder"
            )
        return str(Path(next(iter(spec.submodule_search_locations))) / sub)
    path = Path(ref).expanduser()
    return str(path) if path.is_dir() else ref


AUTOCAST_MIN_TEXTS = 8  # fewer texts (queries) are embedded in fp32


class Embedder:
    """A sentence-transformers model that encodes under bf16 autocast where the hardware has native bf16.

    Weights stay fp32 and autocast keeps normalisation and pooling in fp32, so vectors match fp32 ones to a
    cosine of ~0.9999 (tests/rag/test_embedder_precision.py) while index builds run about twice as fast on a
    CPU with AVX512-BF16. Everything else (tokenizer, dimension) is the model's own.
    """

    def __init__(self, model, dtype: torch.dtype = torch.float32):
        self.model = model
        self.dtype = dtype

    def __getattr__(self, name: str):
        return getattr(self.model, name)

    def encode(self, texts, **kwargs):
        # A lone query gains nothing from bf16 and pays for oneDNN building kernels for each new length.
        batched = not isinstance(texts, str) and len(texts) >= AUTOCAST_MIN_TEXTS
        autocast = (
            torch.autocast(self.model.device.type, dtype=self.dtype)
            if batched and self.dtype != torch.float32
            else contextlib.nullcontext()
        )
        with torch.inference_mode(), autocast:
            return self.model.encode(texts, **kwargs)


def load_embedder(ref: str, device: str = "cpu", precision: str = "auto") -> Embedder:
    from sentence_transformers import SentenceTransformer

    source = resolve_embedder(ref)
    try:
        model = SentenceTransformer(source, device=device)
    except OSError as e:
        raise EmbedderNotFound(
            f"model.embedder={ref!r} could not be loaded ({str(e).splitlines()[0]}). Set model.embedder to "
            f"{', '.join(PACKAGED_EMBEDDERS)}, a local sentence-transformers folder, or a hub id (needs a network)"
        ) from None
    return Embedder(model, precision_dtype(precision, device))


def embed(model, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
    """Unit-length float32 vectors, so inner product is cosine similarity."""
    vectors = model.encode(
        texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=progress
    )
    return np.ascontiguousarray(vectors, dtype=np.float32)
