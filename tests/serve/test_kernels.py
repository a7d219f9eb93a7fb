"""ragtune's C kernels (serve/kernels.c) against the torch operations they replace, in float32 and bfloat16."""

import pytest
import torch
import torch.nn.functional as F
from transformers.models.gemma3.modeling_gemma3 import Gemma3RMSNorm, apply_rotary_pos_emb

from ragtune.serve import kernels
from ragtune.serve.quant import quantise_rows

DTYPES = [torch.float32, torch.bfloat16]


@pytest.fixture(autouse=True)
def loaded():
    assert kernels.enable("auto"), "the kernels did not build: is a C compiler on PATH?"


def ulps(a: torch.Tensor, b: torch.Tensor) -> float:
    """Largest difference in units of the dtype's precision at the values' magnitude (no less than their mean
    magnitude: a sum that cancels keeps the absolute error of its terms)."""
    eps, b = torch.finfo(a.dtype).eps, b.float()
    return ((a.float() - b).abs() / (b.abs().clamp(min=b.abs().mean().item()) * eps)).max().item()


def test_build_is_cached_and_named_by_its_inputs(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = kernels.build()
    assert first.parent == tmp_path / "ragtune" / "kernels" and first.exists()
    mtime = first.stat().st_mtime_ns
    assert kernels.build() == first and first.stat().st_mtime_ns == mtime  # not rebuilt
    assert not list(first.parent.glob("*.tmp"))


def test_failed_build_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    broken = tmp_path / "cc"
    broken.write_text("#!/bin/sh\n[ \"$1\" = --version ] && echo broken-cc 1.0 && exit 0\necho 'error: no' >&2\nexit 1\n")
    broken.chmod(0o755)
    with pytest.raises(RuntimeError, match="kernels.c failed: error: no"):
        kernels.build(str(broken))
    assert not list((tmp_path / "ragtune" / "kernels").iterdir())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows", [1, 3, 8])
@pytest.mark.parametrize("shape", [(64, 32), (37, 40), (200, 136)])  # ragged: rows not a multiple of 4, k not of 16
def test_int8_product_is_the_rounded_float32_product(dtype, rows, shape):
    torch.manual_seed(rows)
    qweight, scale = quantise_rows(torch.randn(shape, dtype=dtype))
    x = torch.randn(rows, shape[1], dtype=dtype)
    ours = kernels.gemv_int8(x, qweight, scale)
    exact = (x.double() @ qweight.double().T) * scale.double()
    assert ours.shape == exact.shape and ours.dtype == dtype
    # float32 sums in another order, then one rounding to the dtype
    tolerance = torch.finfo(dtype).eps * exact.abs() + 1e-5 * exact.abs().max()
    assert ((ours.double() - exact).abs() <= tolerance).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows", [1, 8])
def test_int8_product_agrees_with_torch_kernel(dtype, rows):
    """On the shapes torch's kernel takes (its bfloat16 path needs k a multiple of 32: at k=136 it returns garbage)."""
    torch.manual_seed(rows)
    qweight, scale = quantise_rows(torch.randn(96, 64, dtype=dtype))
    x = torch.randn(rows, 64, dtype=dtype)
    ours, theirs = kernels.gemv_int8(x, qweight, scale), torch._weight_int8pack_mm(x, qweight, scale)
    tolerance = 2 * torch.finfo(dtype).eps * theirs.float().abs() + 1e-6 * theirs.float().abs().max()
    assert ((ours.float() - theirs.float()).abs() <= tolerance).all()
    if dtype == torch.bfloat16:
        assert (ours == theirs).float().mean() > 0.95


def test_int8_product_declines_what_it_does_not_take():
    qweight, scale = quantise_rows(torch.randn(16, 32))
    assert kernels.gemv_int8(torch.randn(9, 32), qweight, scale) is None  # more rows than a decoding step
    assert kernels.gemv_int8(torch.randn(2, 32, dtype=torch.float16), qweight, scale.half()) is None


@pytest.mark.parametrize("dtype", DTYPES)
def test_norm_residual_and_activation_match_torch(dtype):
    torch.manual_seed(0)
    d = 48
    norm, after = Gemma3RMSNorm(d, eps=1e-6), Gemma3RMSNorm(d, eps=1e-6)
    torch.nn.init.normal_(norm.weight), torch.nn.init.normal_(after.weight)
    scale, after_scale = (1 + norm.weight.detach().float()), (1 + after.weight.detach().float())
    x, y = torch.randn(5, d, dtype=dtype) * 3, torch.randn(5, d, dtype=dtype)
    with torch.no_grad():
        assert ulps(kernels.rms(x, scale, 1e-6), norm.to(dtype)(x)) <= 4
        residual = x.clone()
        normed = kernels.residual_rms(residual, y, scale, after_scale, 1e-6)
        expected = x + norm.to(dtype)(y)
        assert ulps(residual, expected) <= 4 and ulps(normed, after.to(dtype)(expected)) <= 4
        gate_up = torch.randn(5, 2 * d, dtype=dtype)
        gate, up = gate_up.chunk(2, dim=-1)
        assert ulps(kernels.gelu_mul(gate_up), F.gelu(gate, approximate="tanh") * up) <= 4


@pytest.mark.parametrize("dtype", DTYPES)
def test_query_key_norm_and_rotary_match_gemma(dtype):
    torch.manual_seed(1)
    rows, heads, kv_heads, d = 3, 4, 2, 16
    q_norm, k_norm = Gemma3RMSNorm(d, eps=1e-6), Gemma3RMSNorm(d, eps=1e-6)
    torch.nn.init.normal_(q_norm.weight), torch.nn.init.normal_(k_norm.weight)
    qkv = torch.randn(rows, (heads + 2 * kv_heads) * d, dtype=dtype)
    angles = torch.rand(rows, d // 2) * 6
    cos, sin = torch.cat([angles.cos()] * 2, dim=-1).to(dtype), torch.cat([angles.sin()] * 2, dim=-1).to(dtype)
    q, k = kernels.qk_norm_rope(qkv, heads, kv_heads, d, 1 + q_norm.weight.detach().float(), 1 + k_norm.weight.detach().float(), cos, sin, 1e-6)
    with torch.no_grad():
        q_ref, k_ref, _ = qkv.split([heads * d, kv_heads * d, kv_heads * d], dim=-1)
        q_ref = q_norm.to(dtype)(q_ref.view(rows, 1, heads, d)).transpose(1, 2)  # (batch, heads, tokens, d) as Gemma
        k_ref = k_norm.to(dtype)(k_ref.view(rows, 1, kv_heads, d)).transpose(1, 2)
        q_ref, k_ref = apply_rotary_pos_emb(q_ref, k_ref, cos[:, None], sin[:, None])
    assert ulps(q, q_ref.transpose(1, 2).reshape(rows, heads, d)) <= 4
    assert ulps(k, k_ref.transpose(1, 2).reshape(rows, kv_heads, d)) <= 4


def test_the_kernels_share_torchs_openmp_runtime():
    """The library asks for libgomp.so.1, which torch has already loaded: its parallel regions run on torch's
    thread team, and no second copy of the runtime (the system's) is loaded beside it."""
    from pathlib import Path

    torch_lib = Path(torch.__file__).parent / "lib"
    mapped = {line.split()[-1] for line in Path("/proc/self/maps").read_text().splitlines() if "libgomp" in line}
    named = {m for m in mapped if Path(m).name.startswith("libgomp.so")}  # the soname the library links
    assert named == {str(torch_lib / "libgomp.so.1")}, mapped
