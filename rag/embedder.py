"""Embedder resolver: `minilm-l6` (packaged), any sentence-transformers id, or a local folder."""

from __future__ import annotations

import contextlib
import importlib.util
import json
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

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
    """A sentence-transformers model (or a `SentenceEncoder`) that encodes under bf16 autocast where the hardware has native bf16.

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
    """The embedder `ref` names: a plain sentence-transformers folder (`SentenceEncoder.accepts`: the packaged
    MiniLM and most retrieval models) through transformers alone, anything else through sentence-transformers."""
    source = resolve_embedder(ref)
    try:
        if SentenceEncoder.accepts(Path(source)):
            model = SentenceEncoder(Path(source), device)
        else:
            from sentence_transformers import SentenceTransformer

            model = SentenceTransformer(source, device=device)
    except OSError as e:
        raise EmbedderNotFound(
            f"model.embedder={ref!r} could not be loaded ({str(e).splitlines()[0]}). Set model.embedder to "
            f"{', '.join(PACKAGED_EMBEDDERS)}, a local sentence-transformers folder, or a hub id (needs a network)"
        ) from None
    return Embedder(model, precision_dtype(precision, device))


POOLING = {"mean": "pooling_mode_mean_tokens", "cls": "pooling_mode_cls_token"}  # new-style name: old-style flag


class SentenceEncoder:
    """A sentence-transformers folder of the plain kind, encoded with transformers alone: a transformer, mean or
    CLS pooling, optionally unit length, no prompts. The vectors are sentence-transformers' own (texts stripped,
    truncated at the model's max_seq_length, padding masked out of the mean; tests/rag/test_embedder_precision.py).

    Why not the library itself: importing sentence_transformers imports its training stack (datasets, pandas,
    pyarrow, scikit-learn): +0.28 GB in every server process, which only ever embeds queries."""

    def __init__(self, folder: Path, device: str = "cpu"):
        from transformers import AutoModel, AutoTokenizer

        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        pooling = json.loads((folder / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
        self.pooling = pooling.get("pooling_mode") or next(mode for mode, flag in POOLING.items() if pooling.get(flag))
        self.normalize = len(modules) == 3
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.model = AutoModel.from_pretrained(folder).to(device).eval()
        bert = _json(folder / "sentence_bert_config.json")
        self.max_seq_length = bert.get("max_seq_length") or min(self.tokenizer.model_max_length, self.model.config.max_position_embeddings)
        self.device = self.model.device

    @staticmethod
    def accepts(folder: Path) -> bool:
        """Whether `folder` is a sentence-transformers model this class encodes exactly as the library does."""
        if not (folder / "modules.json").is_file():
            return False  # a hub id, or not a sentence-transformers folder
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]) or modules[0]["path"]:
            return False
        pooling = _json(folder / modules[1]["path"] / "config.json")
        old_style = [flag for flag, on in pooling.items() if flag.startswith("pooling_mode_") and on]
        mode = pooling.get("pooling_mode") or (old_style[0] if len(old_style) == 1 else None)
        prompts = _json(folder / "config_sentence_transformers.json").get("prompts") or {}
        return (mode in POOLING or mode in POOLING.values()) and not any(prompts.values()) \
            and not _json(folder / "sentence_bert_config.json").get("do_lower_case")  # fmt: skip

    def get_embedding_dimension(self) -> int:
        return self.model.config.hidden_size

    def encode(self, texts, batch_size: int = 32, normalize_embeddings: bool = False, convert_to_numpy: bool = True,
               show_progress_bar: bool = False) -> np.ndarray:  # fmt: skip
        single = isinstance(texts, str)
        texts = [texts] if single else list(texts)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # similar lengths batched: less padding
        vectors = np.empty((len(texts), self.get_embedding_dimension()), dtype=np.float32)
        starts = range(0, len(texts), batch_size)
        for start in tqdm(starts, disable=not show_progress_bar, desc="embedding"):
            rows = order[start : start + batch_size]
            batch = self.tokenizer([texts[i].strip() for i in rows], padding=True, truncation=True,
                                   max_length=self.max_seq_length, return_tensors="pt").to(self.device)  # fmt: skip
            hidden = self.model(**batch).last_hidden_state.float()
            if self.pooling == "cls":
                pooled = hidden[:, 0]
            else:
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            if self.normalize or normalize_embeddings:
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
            vectors[rows] = pooled.cpu().numpy()
        return vectors[0] if single else vectors


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def embed(model, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
    """Unit-length float32 vectors, so inner product is cosine similarity."""
    vectors = model.encode(
        texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=progress
    )
    return np.ascontiguousarray(vectors, dtype=np.float32)
