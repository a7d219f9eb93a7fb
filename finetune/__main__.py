"""`python -m finetune`: train a LoRA adapter on the instruction data, then merge it (`make finetune`).

setup (config, data, model) -> train (Hugging Face Trainer) -> save adapter -> merge + parity check.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import shutil
import sys
import time

import torch
from peft import LoraConfig, get_peft_model
from transformers import TrainingArguments, set_seed

from finetune.data import (
    DataError,
    DataReport,
    leaked_questions,
    read_examples,
    render_trained,
    split,
    tokenize_all,
)
from finetune.evaluate import EvalDataError, read_questions
from finetune.lora import (
    ADAPTER_RECORD,
    SupervisedTrainer,
    merge_adapter,
    pad_collate,
    replace_dir,
    staging_dir,
    write_json,
)
from finetune.models import ModelNotFound, load_generator, pick_device
from rag.config import ConfigError, config_to_dict, load_config
from rag.prompt import Passage, build_messages, prompt_format_record, render_prompt, stop_token_ids

log = logging.getLogger("finetune")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m finetune", description=__doc__.splitlines()[0])
    parser.add_argument("overrides", nargs="*", help="config overrides, e.g. finetune.epochs=2")
    parser.add_argument("--config", default="config.yaml")
    parser.add_argument("--no-merge", action="store_true", help="save the adapter only")
    parser.add_argument("--preview", type=int, metavar="N", default=0, help="print N rendered rows, trained tokens in «»; no training")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return run(args)
    except (ConfigError, DataError, EvalDataError, ModelNotFound) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def run(args) -> int:
    # --- setup -------------------------------------------------------------------------------
    cfg = load_config(args.config, args.overrides)
    ft, mc = cfg.finetune, cfg.model
    set_seed(ft.seed)
    device = pick_device(mc.device)
    model, tokenizer = load_generator(mc.generator, mc.models_dir, mc.device)
    report = DataReport()
    examples = read_examples(ft.instructions, report)
    for err in report.errors:
        log.warning("%s", err)
    if cfg.eval.questions.is_file():
        leaks = leaked_questions(examples, [q.question for q in read_questions(cfg.eval.questions)])
        if leaks:
            raise DataError(
                f"{len(leaks)} training rows repeat questions of the eval set {cfg.eval.questions}; remove them "
                "or the evaluation measures memory, not skill:\n  " + "\n  ".join(leaks[:10])
            )
    rows = tokenize_all(tokenizer, examples, mc.system_prompt, ft.max_seq_tokens, report)
    if args.preview:
        for row in rows[: args.preview]:
            print(render_trained(tokenizer, row), end="\n" + "-" * 80 + "\n")
        return 0
    if not rows:
        raise DataError(f"{ft.instructions}: no usable rows ({report.to_dict()})")
    train_rows, val_rows = split(rows, ft.val_fraction, ft.seed)
    log.info("data: %s; %d train / %d validation rows", report.to_dict(), len(train_rows), len(val_rows))

    model.config.use_cache = False
    peft_model = get_peft_model(
        model,
        LoraConfig(
            r=ft.lora_r,
            lora_alpha=ft.lora_alpha,
            lora_dropout=ft.lora_dropout,
            target_modules=ft.target_modules,
            task_type="CAUSAL_LM",
        ),
    )
    peft_model.print_trainable_parameters()

    # --- train -------------------------------------------------------------------------------
    staging = staging_dir(ft.output_dir)
    steps_per_epoch = math.ceil(len(train_rows) / (ft.batch_size * ft.grad_accum))
    total_steps = ft.max_steps or math.ceil(steps_per_epoch * ft.epochs)
    training_args = TrainingArguments(
        output_dir=str(staging / "checkpoints"),
        per_device_train_batch_size=ft.batch_size,
        per_device_eval_batch_size=ft.batch_size,
        gradient_accumulation_steps=ft.grad_accum,
        learning_rate=ft.learning_rate,
        num_train_epochs=ft.epochs,
        max_steps=ft.max_steps or -1,
        lr_scheduler_type="cosine",
        warmup_steps=math.ceil(ft.warmup_ratio * total_steps),
        logging_steps=max(1, total_steps // 20),
        eval_strategy="steps" if val_rows else "no",
        eval_steps=ft.eval_steps or total_steps,
        save_strategy="no",
        train_sampling_strategy="group_by_length",  # batches of similar length: little padding
        bf16=device == "cuda" and torch.cuda.is_bf16_supported(),
        fp16=device == "cuda" and not torch.cuda.is_bf16_supported(),
        use_cpu=device == "cpu",
        dataloader_num_workers=0,
        prediction_loss_only=True,
        remove_unused_columns=False,
        report_to=[],
        seed=ft.seed,
        disable_tqdm=False,
    )
    trainer = SupervisedTrainer(
        model=peft_model,
        args=training_args,
        train_dataset=train_rows,
        eval_dataset=val_rows or None,
        data_collator=pad_collate(tokenizer.pad_token_id),
    )
    started = time.perf_counter()
    result = trainer.train()
    wall_s = time.perf_counter() - started
    evals = [entry["eval_loss"] for entry in trainer.state.log_history if "eval_loss" in entry]
    val_loss = evals[-1] if evals else None
    steps_done = result.global_step
    rows_seen = min(len(train_rows) * ft.epochs, steps_done * ft.batch_size * ft.grad_accum)
    supervised_per_row = sum(sum(t != -100 for t in r["labels"]) for r in train_rows) / len(train_rows)

    # --- save --------------------------------------------------------------------------------
    peft_model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    record = {
        "base_model": mc.generator,
        "prompt_format": prompt_format_record(tokenizer, mc.system_prompt),
        "config": {"model": config_to_dict(mc), "finetune": config_to_dict(ft)},
    }
    write_json(staging / ADAPTER_RECORD, record)
    train_report = {
        "data": report.to_dict(),
        "train_rows": len(train_rows),
        "val_rows": len(val_rows),
        "steps": steps_done,
        "train_loss": result.training_loss,
        "val_loss": val_loss,
        "wall_s": round(wall_s, 1),
        "supervised_tokens_per_s": round(supervised_per_row * rows_seen / wall_s, 1),
        "device": device,
        "log_history": trainer.state.log_history,
    }
    write_json(staging / "train_report.json", train_report)
    shutil.rmtree(staging / "checkpoints", ignore_errors=True)
    replace_dir(staging, ft.output_dir)
    log.info("adapter saved to %s (val loss %s)", ft.output_dir, val_loss)

    # --- merge -------------------------------------------------------------------------------
    if not args.no_merge:
        probe = [
            render_prompt(tokenizer, build_messages("Xin chào, bạn là ai?", system_prompt=mc.system_prompt)),
            render_prompt(
                tokenizer,
                build_messages("Giờ làm việc là mấy giờ?", [Passage("Giờ làm việc từ 8h30 đến 17h30.", "Nội quy")], (), mc.system_prompt),
            ),
        ]
        parity = merge_adapter(peft_model, tokenizer, ft.merged_dir, record, stop_token_ids(tokenizer), probe)
        log.info("merged model saved to %s (%s)", ft.merged_dir, parity)
    print(json.dumps({k: v for k, v in train_report.items() if k not in ("log_history", "data")}, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
