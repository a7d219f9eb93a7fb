"""Plain sentence-transformers folders are encoded with transformers alone (rag/embedder.py `SentenceEncoder`):
the library's own vectors, and a server that never imports the library's training stack."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from ragtune.rag.embedder import SentenceEncoder, load_embedder, resolve_embedder

TEXTS = [
    "  Nhân viên chính thức được nghỉ phép năm 12 ngày làm việc.\n",  # the library strips surrounding blanks
    "Annual leave must be requested three working days in advance.",
    "Mật khẩu phải có tối thiểu 12 ký tự. " * 80,  # longer than max_seq_length: truncated
    "x",
]


def _same_vectors_as_the_library(folder):
    from sentence_transformers import SentenceTransformer

    ours, library = load_embedder(str(folder), precision="fp32"), SentenceTransformer(str(folder))
    assert isinstance(ours.model, SentenceEncoder) and ours.get_embedding_dimension() == library.get_embedding_dimension()
    for normalize in (True, False):
        np.testing.assert_allclose(ours.encode(TEXTS, normalize_embeddings=normalize, batch_size=3),
                                   library.encode(TEXTS, normalize_embeddings=normalize), atol=1e-6)  # fmt: skip
    np.testing.assert_allclose(ours.encode(TEXTS[0]), library.encode(TEXTS[0]), atol=1e-6)  # one query: one vector


def test_a_plain_folder_gives_the_librarys_vectors(tiny_embedder_dir):
    _same_vectors_as_the_library(tiny_embedder_dir)  # written by sentence-transformers 6: pooling_mode "mean"


@pytest.mark.integration
def test_the_packaged_embedder_gives_the_librarys_vectors():
    _same_vectors_as_the_library(resolve_embedder("minilm-l6"))  # written by 2.x: pooling flags, a Normalize module


@pytest.mark.parametrize("change", ["max pooling", "a query prompt", "lower-casing"])
def test_other_folders_are_left_to_sentence_transformers(tiny_embedder_dir, tmp_path, change):
    from sentence_transformers import SentenceTransformer

    folder = shutil.copytree(tiny_embedder_dir, tmp_path / "st")
    edits = {"max pooling": ("1_Pooling/config.json", {"pooling_mode": "max"}),
             "a query prompt": ("config_sentence_transformers.json", {"prompts": {"query": "query: "}}),
             "lower-casing": ("sentence_bert_config.json", {"do_lower_case": True})}  # fmt: skip
    name, update = edits[change]
    path = folder / name
    path.write_text(json.dumps({**json.loads(path.read_text(encoding="utf-8")), **update}), encoding="utf-8")
    assert SentenceEncoder.accepts(tiny_embedder_dir) and not SentenceEncoder.accepts(folder)
    assert isinstance(load_embedder(str(folder), precision="fp32").model, SentenceTransformer)


def test_the_server_imports_no_training_stack(tiny_embedder_dir):
    code = ("import sys; import ragtune.serve.app, ragtune.serve.services; from ragtune.rag.embedder import load_embedder; "
            f"load_embedder({str(tiny_embedder_dir)!r}); "
            "print(sorted(m for m in ('sentence_transformers', 'datasets', 'pandas', 'pyarrow', 'sklearn', 'trl') if m in sys.modules))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"  # importing sentence_transformers alone costs a process 0.28 GB
