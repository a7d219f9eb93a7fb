"""LoRA pieces the training main calls: the collator, the supervised-positions loss, save and merge."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import torch
import torch.nn.functional as F
from transformers import Trainer

from finetune.data import IGNORE_INDEX
from finetune.generation import generate_batch

ADAPTER_RECORD = "ragtune_adapter.json"  # base model, prompt format, config: what the server checks


def pad_collate(pad_token_id: int):
    """Left-pads a batch to its longest row, so every row's answer ends at the right edge.

    Position ids restart at 0 on each row's first real token; padding is masked out of attention
    and loss. With the answers right-aligned, the LM head is needed only for the last few positions.
    """

    def collate(rows: list[dict[str, list[int]]]) -> dict[str, torch.Tensor]:
        width = max(len(r["input_ids"]) for r in rows)
        ids = torch.full((len(rows), width), pad_token_id, dtype=torch.long)
        labels = torch.full((len(rows), width), IGNORE_INDEX, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, r in enumerate(rows):
            n = len(r["input_ids"])
            ids[i, width - n :] = torch.tensor(r["input_ids"])
            labels[i, width - n :] = torch.tensor(r["labels"])
            mask[i, width - n :] = 1
        positions = (mask.cumsum(dim=1) - 1).clamp(min=0)
        return {"input_ids": ids, "attention_mask": mask, "position_ids": positions, "labels": labels}

    return collate


def supervised_loss(model, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Causal-LM cross-entropy with the LM head applied only to the trailing positions that are trained.

    Gemma's 262k-token head costs more than the whole transformer body per position, and prompts
    and retrieved context (most of each row) need no logits at all. The call goes through the
    model's own forward (`logits_to_keep`), so DDP and PEFT wrappers see a normal forward pass.
    """
    labels = batch["labels"]
    trained = (labels != IGNORE_INDEX).any(dim=0).nonzero()
    width = labels.shape[1]
    keep = width - int(trained[0]) + 1 if len(trained) else 2  # +1: the logit before the first trained token
    logits = model(
        input_ids=batch["input_ids"],
        attention_mask=batch["attention_mask"],
        position_ids=batch["position_ids"],
        logits_to_keep=keep,
        use_cache=False,
    ).logits
    targets = labels[:, width - keep + 1 :]
    return F.cross_entropy(logits[:, :-1].float().reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE_INDEX)


class SupervisedTrainer(Trainer):
    """The Hugging Face Trainer with `supervised_loss`; everything else is the stock loop."""

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        loss = supervised_loss(model, inputs)
        return (loss, {"loss": loss}) if return_outputs else loss


def write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def replace_dir(staging: Path, target: Path) -> None:
    """Move a finished staging dir into place; the old target survives until the new one is complete."""
    target.parent.mkdir(parents=True, exist_ok=True)
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def staging_dir(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.tmp-"))


def merge_adapter(peft_model, tokenizer, merged_target: Path, record: dict, stop_ids: list[int], parity_prompts: list[str]) -> dict:
    """Merge LoRA into the base weights, save atomically, and prove greedy parity with base+adapter."""
    before = generate_batch(peft_model, tokenizer, parity_prompts, 24, stop_ids)
    merged = peft_model.merge_and_unload()
    after = generate_batch(merged, tokenizer, parity_prompts, 24, stop_ids)
    if before != after:
        raise RuntimeError("merge parity failed: the merged model's greedy outputs differ from base+adapter")
    staging = staging_dir(merged_target)
    merged.generation_config.eos_token_id = stop_ids
    merged.generation_config.pad_token_id = tokenizer.pad_token_id
    merged.save_pretrained(staging, safe_serialization=True)
    tokenizer.save_pretrained(staging)
    write_json(staging / ADAPTER_RECORD, {**record, "merged": True})
    replace_dir(staging, merged_target)
    return {"parity_prompts": len(parity_prompts), "parity": "identical"}
