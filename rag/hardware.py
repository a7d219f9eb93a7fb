"""What the hardware computes natively; precision choices for inference read it (training on CPU stays fp32)."""

from __future__ import annotations

import torch


def native_bf16(device: str) -> bool:
    """Whether bf16 matrix math runs natively here: a bf16-capable GPU, or a CPU with AVX512-BF16 or AMX."""
    if device.startswith("cuda"):
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")  # torch.cpu's CPUID probes
    return any(getattr(torch.cpu, probe, lambda: False)() for probe in probes)
