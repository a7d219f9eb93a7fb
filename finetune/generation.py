"""Batched generation with stop tokens: used by evaluation, the merge parity check and the server."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str  # "stop" | "length" | "cancelled" | "refused" (refusal score at or above the threshold)
    refusal_score: float | None = None  # P(answer starts with the not-found phrase), where the backend measures it


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


@torch.inference_mode()
def refusal_scores(model, tokenizer, prompts: list[str], token_ids: list[int], batch_size: int = 8) -> list[float]:
    """For each prompt, the probability that the answer starts with one of `token_ids` (one forward, no decode)."""
    scores: list[float] = []
    side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    try:
        for start in range(0, len(prompts), batch_size):
            inputs = tokenizer(prompts[start : start + batch_size], return_tensors="pt", padding=True, add_special_tokens=False)
            inputs = inputs.to(model.device)
            position_ids = (inputs["attention_mask"].cumsum(dim=1) - 1).clamp(min=0)
            logits = model(**inputs, position_ids=position_ids, use_cache=False, logits_to_keep=1).logits[:, -1]
            probs = torch.softmax(logits.float(), dim=-1)[:, token_ids].sum(dim=-1)
            scores += probs.tolist()
    finally:
        tokenizer.padding_side = side
    return scores
