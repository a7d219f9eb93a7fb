"""What the hardware computes natively; the precision choices of inference, embedding and training autocast read it."""

from __future__ import annotations

import torch


def native_bf16(device: str) -> bool:
    """Whether bf16 matrix math runs natively here: a bf16-capable GPU, or a CPU with AVX512-BF16 or AMX."""
    if device.startswith("cuda"):
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")  # torch.cpu's CPUID probes
    return any(getattr(torch.cpu, probe, lambda: False)() for probe in probes)


DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def precision_dtype(setting: str, device: str) -> torch.dtype:
    """A precision setting (auto|fp32|bf16|fp16) -> dtype for inference on `device`.

    auto: bf16 where it is native (a bf16 GPU, a CPU with AVX512-BF16/AMX), fp16 on older GPUs, else
    fp32. Used for the generator (model.inference_dtype) and the embedder (model.embedder_precision).
    """
    if setting == "auto":
        if native_bf16(device):
            return torch.bfloat16
        return torch.float16 if device.startswith("cuda") else torch.float32
    return DTYPES[setting]
