"""The attention serve and eval decode with: transformers' SDPA with a packed path for one query token on CPU."""

from __future__ import annotations

import torch

PACKED_DECODE_SDPA = "sdpa_packed_decode"


def _sdpa_packed_decode(module, query, key, value, attention_mask, **kwargs):
    """transformers' SDPA attention, except for one query token over grouped KV heads with no mask, on CPU.

    With no mask (a lone row, or rows without padding) the library hands the CPU kernel `enable_gqa`, which is
    slower than the packed path it takes when there is a mask (the query heads of a KV head folded into one
    row); an all-true mask sends it there. Same result. A decoding step of the default model (2 cores, three
    alternating runs), with the serve engine's cache (views into a buffer): 51 -> 45 ms at batch 1, 77 -> 52 ms
    at batch 4; in `generate` with transformers' cache: unchanged at batch 1, 64 -> 58 ms at batch 4
    (`bench/generation_speed.py` reports that ratio).
    """
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    if (attention_mask is None and query.shape[2] == 1 and query.device.type == "cpu"
            and getattr(module, "num_key_value_groups", 1) > 1):  # fmt: skip
        attention_mask = torch.ones((1, 1, 1, 1), dtype=torch.bool, device=query.device)
    return sdpa_attention_forward(module, query, key, value, attention_mask, **kwargs)


def packed_decode_attention(model):
    """Run a model that uses SDPA attention on `_sdpa_packed_decode` (for generation; training is unaffected)."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    if getattr(model.config, "_attn_implementation", None) != "sdpa":
        return model
    AttentionInterface.register(PACKED_DECODE_SDPA, _sdpa_packed_decode)
    AttentionMaskInterface.register(PACKED_DECODE_SDPA, sdpa_mask)
    model.set_attn_implementation(PACKED_DECODE_SDPA)
    return model
