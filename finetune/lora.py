"""LoRA pieces the training main calls: the collator, the supervised-positions loss, save and merge."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from transformers import Trainer

from ragtune.artifacts import ADAPTER_RECORD, replace_dir, staging_dir, write_json
from ragtune.finetune.data import IGNORE_INDEX
from ragtune.finetune.generation import generate_batch


def pad_collate(pad_token_id: int):
    """Right-pads a batch to its longest row, with no attention mask.

    Causal attention already keeps every real token from seeing the padding after it, so the model
    needs no padding mask: attention takes its causal fast path (no mask tensor, grouped-query heads
    not repeated), and positions are the default 0..n-1. Padding is never trained (labels -100) and
    never reaches the LM head (`supervised_loss`). A row's `row` number, where it has one, comes along
    (the validation pass's sampler reorders rows; its refusal scores are kept by row).
    """

    def collate(rows: list[dict]) -> dict[str, torch.Tensor]:
        width = max(len(r["input_ids"]) for r in rows)
        ids = torch.full((len(rows), width), pad_token_id, dtype=torch.long)
        labels = torch.full((len(rows), width), IGNORE_INDEX, dtype=torch.long)
        for i, r in enumerate(rows):
            n = len(r["input_ids"])
            ids[i, :n] = torch.tensor(r["input_ids"])
            labels[i, :n] = torch.tensor(r["labels"])
        batch = {"input_ids": ids, "labels": labels}
        if all("row" in r for r in rows):
            batch["row"] = torch.tensor([r["row"] for r in rows])
        return batch

    return collate


def supervised_loss(model, batch: dict[str, torch.Tensor], num_items: int | torch.Tensor | None = None,
                    first_token_ids: list[int] | None = None) -> torch.Tensor | tuple[torch.Tensor, list[float]]:
    """Causal-LM cross-entropy with the LM head applied only at the positions whose next token is trained.

    Gemma's 262k-token head costs more than the whole transformer body per position, and prompts
    and retrieved context (most of each row) need no logits at all. A boolean `logits_to_keep`
    makes the model's own forward return logits for exactly those positions, flattened to
    (trained tokens, vocab), so DDP and PEFT wrappers still see a normal forward pass.

    The mean over this batch's trained tokens; with `num_items` (the trained tokens of every micro-batch
    accumulated into one optimizer step, on every process) the sum over `num_items`, so that accumulated
    micro-batches add up to the mean over the whole batch.

    With `first_token_ids`, also each row's probability that its answer starts with one of those tokens
    (NaN for a row with nothing trained): the logits at a row's first trained position are the ones a
    server reads after prefilling the row's prompt, so the validation pass gives the refusal scores too.
    """
    labels = batch["labels"]
    targets = labels[:, 1:]
    trained = targets != IGNORE_INDEX
    keep = torch.zeros_like(labels, dtype=torch.bool)
    keep[:, :-1] = trained  # position t predicts token t + 1
    logits = model(input_ids=batch["input_ids"], logits_to_keep=keep, use_cache=False).logits
    if logits.dim() != 2:
        raise RuntimeError("supervised_loss needs a transformers version whose models accept a boolean logits_to_keep (>= 5.23)")
    if not len(logits):  # nothing trained in this batch: a zero loss that still reaches every weight
        loss = logits.sum()
    elif num_items is None:
        loss = F.cross_entropy(logits.float(), targets[trained])
    else:
        loss = F.cross_entropy(logits.float(), targets[trained], reduction="sum") / num_items
    if first_token_ids is None:
        return loss
    counts = trained.sum(dim=1)
    firsts = torch.cumsum(counts, 0) - counts  # each row's first trained position among the flattened logits
    scores = torch.full((len(counts),), float("nan"))
    if len(logits):
        has = counts > 0
        probs = torch.softmax(logits[firsts[has]].detach().float(), dim=-1)[:, first_token_ids].sum(dim=-1)
        scores[has] = probs.cpu()
    return loss, scores.tolist()


class SupervisedTrainer(Trainer):
    """The Hugging Face Trainer with `supervised_loss`; everything else is the stock loop.

    The Trainer hands a training step the trained-token count of the whole accumulated batch
    (`num_items_in_batch`, summed over processes) and then neither divides the loss by the accumulation
    steps nor averages it over processes itself: the loss must be the sum over that count, as
    `supervised_loss(num_items=...)` gives it. A per-micro-batch mean there made the gradient
    `grad_accum` times (and under torchrun, also world-size times) too large.

    With `refusal_token_ids`, each validation pass also records the refusal score of every validation row
    that carries its `row` number (`supervised_loss(first_token_ids=...)`), and the step it ran at in
    `refusal_scores_step`; `refusal_scores` gives them in row order. The calibration after training reads
    them instead of prefilling every validation prompt again.
    """

    def __init__(self, *args, refusal_token_ids: list[int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.refusal_token_ids = refusal_token_ids
        self.refusal_scores_step: int | None = None
        self._scored: dict[int, float] = {}

    @property
    def refusal_scores(self) -> list[float]:
        """The last validation pass's scores in row order (rows 0..n-1; empty unless every row was scored)."""
        rows = sorted(self._scored)
        return [self._scored[r] for r in rows] if rows == list(range(len(rows))) else []

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if model.training or self.refusal_token_ids is None or "row" not in inputs:
            loss = supervised_loss(model, inputs, num_items_in_batch)
        else:
            loss, scores = supervised_loss(model, inputs, num_items_in_batch, self.refusal_token_ids)
            self._scored.update(zip(inputs["row"].tolist(), scores, strict=True))
        return (loss, {"loss": loss}) if return_outputs else loss

    def evaluate(self, *args, **kwargs):
        self._scored, self.refusal_scores_step = {}, None
        metrics = super().evaluate(*args, **kwargs)
        self.refusal_scores_step = self.state.global_step
        return metrics


def merge_adapter(peft_model, tokenizer, merged_target: Path, record: dict, stop_ids: list[int], parity_prompts: list[str],
                  dtype: torch.dtype | None = None) -> dict:  # fmt: skip
    """Merge LoRA into the base weights, prove greedy parity with base+adapter, and save atomically in `dtype` (the
    inference dtype: the server loads the file as it is, so loading never holds a wider copy in memory)."""
    before = generate_batch(peft_model, tokenizer, parity_prompts, 24, stop_ids)
    merged = peft_model.merge_and_unload()
    after = generate_batch(merged, tokenizer, parity_prompts, 24, stop_ids)
    if before != after:
        raise RuntimeError("merge parity failed: the merged model's greedy outputs differ from base+adapter")
    staging = staging_dir(merged_target)
    merged.generation_config.eos_token_id = stop_ids
    merged.generation_config.pad_token_id = tokenizer.pad_token_id
    if dtype is not None:
        merged = merged.to(dtype)
    merged.save_pretrained(staging, safe_serialization=True)
    tokenizer.save_pretrained(staging)
    write_json(staging / ADAPTER_RECORD, {**record, "merged": True})
    replace_dir(staging, merged_target)
    return {"parity_prompts": len(parity_prompts), "parity": "identical"}
