"""Weight-only int8 for decoding on CPU: half the bytes a decoding step reads.

Decoding a few rows reads every weight once for a handful of multiply-adds each, so on CPU its time is the
time to read the weights (issue #19). Each linear layer's weight is rounded once, at load, to int8 with one
scale per output row (symmetric, round to nearest): `Int8Linear` multiplies inputs of up to `DECODE_ROWS`
rows with an int8-weight kernel (ragtune's C one where it is loaded, serve/kernels.py, else torch's), and wider ones (prefill, a batch of many rows, a long guess) with the
dtype's GEMM over the same rounded weights, where the int8 kernel is slower. So the served model is one model,
whatever the load: an answer does not change with the batch it was decoded in (beyond the summation order
that batching changes anyway). The default model on 2 cores (decoder forward over 600 cached tokens, bf16 ->
int8 kernel): one row 29.7 -> 16.4-18.9 ms, four rows 30.6-33.9 -> 22.2-27.1 ms, eight rows 34.1 -> 33.0 ms;
nine rows would be 38.3 -> 47.8 ms, hence the bound.

The embedding table is rounded the same way and, when the LM head is tied to it (Gemma, SmolLM), the head
multiplies by those same int8 rows: the 262k x 640 table is held once in 168 MB instead of 335 MB of bf16, and
the restricted decoding head (serve/vocab.py) takes its rows from it. Once every large tensor is int8, the
parameters left in the loaded file's memory map are copied out (`own_memory`), so the map is released.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ragtune.serve import kernels

DECODE_ROWS = 8  # inputs up to this many rows (tokens) use the int8 weight


def int8_available(device: str) -> bool:
    """Whether this torch has the CPU int8-weight matmul (torch >= 2.4) and the model runs on CPU."""
    return device == "cpu" and hasattr(torch, "_weight_int8pack_mm")


CHUNK = 16_384  # rows rounded, or dequantised for a wide input, at a time: bounds the full-precision temporary


def quantise_rows(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(int8 weight, per-row scale in the weight's dtype) with weight ~= int8 * scale[:, None]; rounded CHUNK rows at
    a time, so a 262k-row embedding table never has a full fp32 copy."""
    qweight = torch.empty(weight.shape, dtype=torch.int8, device=weight.device)
    scale = torch.empty(weight.shape[0], dtype=weight.dtype, device=weight.device)
    for start in range(0, weight.shape[0], CHUNK):
        w = weight[start : start + CHUNK].detach().to(torch.float32, copy=True)
        part = (w.abs().amax(dim=1).clamp(min=1e-12) / 127).to(weight.dtype)  # stored as the kernel takes it, then used
        qweight[start : start + CHUNK] = w.div_(part.float()[:, None]).round_().clamp_(-127, 127)  # exact integers
        scale[start : start + CHUNK] = part
    return qweight, scale


def dequantised(qweight: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """The rounded rows in the scale's dtype: what wider inputs multiply with (rows of any leading shape)."""
    # |q| <= 127 is exact in any float dtype, and one rounded product is what fp32-then-round would give
    return qweight.to(scale.dtype).mul_(scale.unsqueeze(-1))


def int8_matmul(x: torch.Tensor, qweight: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """x (..., in) @ (qweight * scale).T for a decoding-sized x in the scale's dtype."""
    flat = x.reshape(x.numel() // x.shape[-1], x.shape[-1])
    y = kernels.gemv_int8(flat, qweight, scale)  # ragtune's C kernel (serve/kernels.py) when it is loaded and takes x
    return (torch._weight_int8pack_mm(flat, qweight, scale) if y is None else y).reshape(*x.shape[:-1], -1)


def rounded_linear(x: torch.Tensor, qweight: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """x @ dequantised(qweight, scale).T: by the int8 kernel for up to DECODE_ROWS rows in the scale's dtype (no
    autograd), else by the dtype's GEMM over the weight dequantised for this call, CHUNK rows at a time (a prefill
    forward of the default model spends ~15 ms on that, ~3 %, instead of holding a second 0.2 GB copy)."""
    if x.numel() > DECODE_ROWS * x.shape[-1] or x.dtype != scale.dtype or torch.is_grad_enabled():
        if qweight.shape[0] <= CHUNK:
            return F.linear(x, dequantised(qweight, scale))
        parts = [F.linear(x, dequantised(qweight[i : i + CHUNK], scale[i : i + CHUNK])) for i in range(0, len(qweight), CHUNK)]
        return torch.cat(parts, dim=-1)
    return int8_matmul(x, qweight, scale)


class Int8Linear(nn.Module):
    """A `nn.Linear` whose weight is rounded to int8: decoding-sized inputs read the int8 weight, wider ones the
    same rounded values in the dtype."""

    def __init__(self, qweight: torch.Tensor, scale: torch.Tensor, bias: torch.Tensor | None = None):
        super().__init__()
        self.out_features, self.in_features = qweight.shape
        self.register_buffer("qweight", qweight, persistent=False)
        self.register_buffer("scale", scale, persistent=False)
        self.bias = bias

    @classmethod
    def rounded(cls, linear: nn.Linear) -> Int8Linear:
        """`linear` rounded: the int8 rows replace its weight (the model holds no other copy)."""
        return cls(*quantise_rows(linear.weight), linear.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = rounded_linear(x, self.qweight, self.scale)
        return y if self.bias is None else y + self.bias


class Int8Embedding(nn.Module):
    """An input embedding table held in int8 rows with one scale each; a looked-up row is dequantised. A tied LM
    head multiplies by the same rows (`quantise_embeddings`), so the table is held once, in a quarter of fp32."""

    def __init__(self, embedding: nn.Embedding):
        super().__init__()
        qweight, scale = quantise_rows(embedding.weight)
        self.num_embeddings, self.embedding_dim = qweight.shape
        self.padding_idx = embedding.padding_idx
        self.register_buffer("qweight", qweight, persistent=False)
        self.register_buffer("scale", scale, persistent=False)
        scale_by = getattr(embedding, "embed_scale", None)  # Gemma: every looked-up row times sqrt(hidden size)
        self.register_buffer("embed_scale", None if scale_by is None else scale_by.clone(), persistent=False)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        rows = dequantised(self.qweight[input_ids], self.scale[input_ids])
        return rows if self.embed_scale is None else rows * self.embed_scale.to(rows.dtype)


def quantise_embeddings(model) -> bool:
    """The input embedding table and the LM head in int8 rows: a tied head reads the embedding's rows (held once),
    an untied one gets its own. The first token, the refusal score (prefill's full head) and the restricted
    decoding head (serve/vocab.py) all read them. True if the head is tied."""
    model = model.get_base_model() if hasattr(model, "get_base_model") else model  # base + adapter: peft's wrapper
    head, embedding = model.get_output_embeddings(), model.get_input_embeddings()
    tied = head is not None and head.weight is embedding.weight
    table = Int8Embedding(embedding)
    model.set_input_embeddings(table)
    if head is not None:
        model.set_output_embeddings(Int8Linear(table.qweight, table.scale, head.bias) if tied else Int8Linear.rounded(head))
    return tied


def own_memory(model) -> None:
    """Copy the parameters still in the loaded file's memory map (norms, biases, a LoRA's A and B: the small
    ones once the rest is int8) into the process's own memory, so the map, whose pages loading and rounding read,
    is released with them instead of staying resident (0.5 GB for the default model)."""
    for param in model.parameters():
        param.data = param.data.clone()


def quantise_for_decoding(model) -> int:
    """Swap every plain linear layer of the decoder's layers (attention and MLP; a LoRA wrapper's base layer, not
    its own A and B, which peft reads as linear layers) for an `Int8Linear`; returns how many. The embedding
    table and the LM head: `quantise_embeddings`; norms stay."""
    swapped = 0
    for parent in list(model.get_decoder().layers.modules()):
        if isinstance(parent, nn.ModuleDict):  # peft's lora_A / lora_B: {adapter name: nn.Linear}
            continue
        for name, child in list(parent.named_children()):
            if type(child) is nn.Linear:
                setattr(parent, name, Int8Linear.rounded(child))
                swapped += 1
    return swapped
