"""Batched generation with stop tokens: used by evaluation, the merge parity check and the server."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str  # "stop" | "length"


@torch.inference_mode()
def generate_batch(
    model, tokenizer, prompts: list[str], max_new_tokens: int, stop_ids: list[int], temperature: float = 0.0
) -> list[Completion]:
    """Left-padded batch generation: decode reads the weights once per step for the whole batch."""
    if not prompts:
        return []
    side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    try:
        inputs = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
    finally:
        tokenizer.padding_side = side
    sampling = {"do_sample": True, "temperature": temperature, "top_p": 0.95} if temperature > 0 else {"do_sample": False}
    out = model.generate(
        **inputs,
        max_new_tokens=max_new_tokens,
        eos_token_id=stop_ids,
        pad_token_id=tokenizer.pad_token_id,
        **sampling,
    )
    width = inputs["input_ids"].shape[1]
    results = []
    for row, mask in zip(out, inputs["attention_mask"], strict=True):
        new = row[width:].tolist()
        stop_at = next((i for i, t in enumerate(new) if t in stop_ids), None)
        finished = stop_at is not None
        new = new[:stop_at] if finished else new
        text = tokenizer.decode(new, skip_special_tokens=True).strip()
        results.append(Completion(text, int(mask.sum()), len(new) + finished, "stop" if finished else "length"))
    return results
