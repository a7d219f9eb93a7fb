"""Embedding precision: hardware-chosen bf16 autocast gives the fp32 vectors, and `fp32` turns it off."""

import numpy as np
import pytest
import torch

from ragtune.hardware import native_bf16, precision_dtype
from ragtune.rag.embedder import Embedder, embed, load_embedder

TEXTS = [
    "Nhân viên chính thức được nghỉ phép năm 12 ngày làm việc.",
    "Công dân có chỗ ở hợp pháp thuộc quyền sở hữu của mình thì được đăng ký thường trú.",
    "Annual leave must be requested three working days in advance.",
    "Mật khẩu phải có tối thiểu 12 ký tự.",
]


def test_precision_setting_picks_the_autocast_dtype():
    assert precision_dtype("fp32", "cpu") == torch.float32
    assert precision_dtype("bf16", "cpu") == torch.bfloat16
    assert precision_dtype("auto", "cpu") == (torch.bfloat16 if native_bf16("cpu") else torch.float32)
    with pytest.raises(KeyError):
        precision_dtype("int4", "cpu")


def test_loaded_embedder_keeps_the_models_interface(tiny_embedder_dir):
    fp32 = load_embedder(str(tiny_embedder_dir), precision="fp32")
    assert fp32.dtype == torch.float32
    assert fp32.get_embedding_dimension() == 32
    assert fp32.tokenizer is fp32.model.tokenizer
    vecs = embed(fp32, TEXTS)
    assert vecs.dtype == np.float32 and vecs.shape == (4, 32)


@pytest.mark.integration
def test_bf16_autocast_vectors_match_fp32_on_the_real_embedder():
    fp32 = load_embedder("minilm-l6", precision="fp32")
    bf16 = Embedder(fp32.model, torch.bfloat16)
    texts = TEXTS * 2  # a batch of 8: index builds use autocast, lone queries stay fp32
    a, b = embed(fp32, texts), embed(bf16, texts)
    assert b.dtype == np.float32 and not np.array_equal(a, b)
    np.testing.assert_allclose(np.linalg.norm(b, axis=1), 1.0, rtol=1e-5)
    assert (a * b).sum(1).min() > 0.999  # measured 0.99997 on the shipped corpus
    # the same nearest neighbour for every text
    a, b = a[:4], b[:4]
    assert ((a @ a.T).argsort(1)[:, -2] == (b @ b.T).argsort(1)[:, -2]).all()
    np.testing.assert_array_equal(embed(fp32, TEXTS[:1]), embed(bf16, TEXTS[:1]))
