"""Weight-only int8 for decoding on CPU: half the bytes a decoding step reads.

Decoding a few rows reads every weight once for a handful of multiply-adds each, so on CPU its time is the
time to read the weights (issue #19). Each linear layer's weight is rounded once, at load, to int8 with one
scale per output row (symmetric, round to nearest): `Int8Linear` multiplies inputs of up to `DECODE_ROWS`
rows with torch's int8-weight kernel, and wider ones (prefill, a batch of many rows, a long guess) with the
dtype's GEMM over the same rounded weights, where the int8 kernel is slower. So the served model is one model,
whatever the load: an answer does not change with the batch it was decoded in (beyond the summation order
that batching changes anyway). The default model on 2 cores (decoder forward over 600 cached tokens, bf16 ->
int8 kernel): one row 29.7 -> 16.4-18.9 ms, four rows 30.6-33.9 -> 22.2-27.1 ms, eight rows 34.1 -> 33.0 ms;
nine rows would be 38.3 -> 47.8 ms, hence the bound.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

DECODE_ROWS = 8  # inputs up to this many rows (tokens) use the int8 weight


def int8_available(device: str) -> bool:
    """Whether this torch has the CPU int8-weight matmul (torch >= 2.4) and the model runs on CPU."""
    return device == "cpu" and hasattr(torch, "_weight_int8pack_mm")


def quantise_rows(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(int8 weight, per-row scale in the weight's dtype) with weight ~= int8 * scale[:, None]."""
    w = weight.detach().to(torch.float32, copy=True)  # the one full-size temporary: the rest works in place
    scale = (w.abs().amax(dim=1).clamp(min=1e-12) / 127).to(weight.dtype)  # stored as the kernel takes it, then used
    return w.div_(scale.float()[:, None]).round_().clamp_(-127, 127).to(torch.int8), scale


def dequantised(qweight: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """The rounded weight in the scale's dtype: what wider inputs multiply with."""
    # |q| <= 127 is exact in any float dtype, and one rounded product is what fp32-then-round would give
    return qweight.to(scale.dtype).mul_(scale[:, None])


def int8_matmul(x: torch.Tensor, qweight: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """x (..., in) @ (qweight * scale).T for a decoding-sized x in the scale's dtype."""
    rows = x.numel() // x.shape[-1]
    return torch._weight_int8pack_mm(x.reshape(rows, x.shape[-1]), qweight, scale).reshape(*x.shape[:-1], -1)


def rounded_linear(x: torch.Tensor, qweight: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """x @ dequantised(qweight, scale).T: by the int8 kernel for up to DECODE_ROWS rows in the scale's dtype (no
    autograd), else by the dtype's GEMM over the weight dequantised for this call (a prefill forward of the
    default model spends ~15 ms on that, ~3 %, instead of holding a second 0.2 GB copy of the weights)."""
    if x.numel() > DECODE_ROWS * x.shape[-1] or x.dtype != scale.dtype or torch.is_grad_enabled():
        return F.linear(x, dequantised(qweight, scale))
    return int8_matmul(x, qweight, scale)


class Int8Linear(nn.Module):
    """A `nn.Linear` whose weight is rounded to int8: decoding-sized inputs read the int8 weight, wider ones the
    same rounded values in the dtype."""

    def __init__(self, linear: nn.Linear):
        super().__init__()
        self.in_features, self.out_features = linear.in_features, linear.out_features
        qweight, scale = quantise_rows(linear.weight)  # they replace the weight: the model holds no other copy
        self.register_buffer("qweight", qweight, persistent=False)
        self.register_buffer("scale", scale, persistent=False)
        self.bias = linear.bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = rounded_linear(x, self.qweight, self.scale)
        return y if self.bias is None else y + self.bias


def quantise_for_decoding(model) -> int:
    """Swap every plain linear layer of the decoder's layers (attention and MLP; a LoRA wrapper's base layer, not
    its own A and B, which peft reads as linear layers) for an `Int8Linear`; returns how many. Embeddings,
    norms and the LM head stay (the head: serve/vocab.py)."""
    swapped = 0
    for parent in list(model.get_decoder().layers.modules()):
        if isinstance(parent, nn.ModuleDict):  # peft's lora_A / lora_B: {adapter name: nn.Linear}
            continue
        for name, child in list(parent.named_children()):
            if type(child) is nn.Linear:
                setattr(parent, name, Int8Linear(child))
                swapped += 1
    return swapped
