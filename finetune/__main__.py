"""`ragtune finetune` (`make finetune`): train a LoRA adapter on the instruction data, then merge it.

setup (data, model) -> train (Hugging Face Trainer) -> save adapter -> compare -> merge.
Runs the same under `torchrun --nproc_per_node N -m ragtune.finetune` (DDP; gloo on CPU): every rank
trains, rank 0 writes the artifacts.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import math
import os
import shutil
import sys
import time
from collections import Counter
from contextlib import nullcontext
from pathlib import Path

import torch
from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
from transformers import EarlyStoppingCallback, TrainingArguments, set_seed

from ragtune.answerability import COVERAGE_UNIT, calibrate, refusal_token_ids
from ragtune.artifacts import replace_dir, staging_dir, write_json
from ragtune.cli import run_stage
from ragtune.config import Config, config_to_dict
from ragtune.errors import RagtuneError
from ragtune.evaluation.metrics import rouge_l
from ragtune.finetune.data import (
    IGNORE_INDEX,
    DataError,
    DataReport,
    leaked_questions,
    read_examples,
    read_questions,
    render_trained,
    split,
    tokenize_all,
)
from ragtune.finetune.generation import generate_batch, refusal_scores
from ragtune.finetune.lora import (
    ADAPTER_RECORD,
    SupervisedTrainer,
    merge_adapter,
    pad_collate,
)
from ragtune.hardware import precision_dtype, retained_freed_memory
from ragtune.models import load_generator, pick_device
from ragtune.prompt import (
    Passage,
    build_messages,
    not_found_for,
    prompt_format_record,
    render_prompt,
    stop_token_ids,
)

log = logging.getLogger("finetune")


def main(argv: list[str] | None = None) -> int:
    """`python -m ragtune.finetune` = `ragtune finetune`."""
    return run_stage("finetune", argv)


def loss_chart(log_history: list[dict], path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    train = [(e["step"], e["loss"]) for e in log_history if "loss" in e]
    val = [(e["step"], e["eval_loss"]) for e in log_history if "eval_loss" in e]
    if train:
        ax.plot(*zip(*train, strict=True), label="train")
    if val:
        ax.plot(*zip(*val, strict=True), "o-", label="validation")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss (supervised tokens)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def compare_on_validation(model, tokenizer, examples, stop_ids, dtype: torch.dtype = torch.float32) -> dict:
    """ROUGE-L of base (adapter off) and fine-tuned answers against held-out validation references.

    Generates in `dtype` (model.inference_dtype: bf16 on a CPU with native bf16), as serving and evaluation
    run, on a copy of the model held in that dtype: under autocast every decoding step would cast each fp32
    weight again (a third of this comparison's time). A quantized (QLoRA) model generates under autocast
    as it is; the merge parity check stays in full precision.
    """
    prompts = [render_prompt(tokenizer, ex["messages"]) for ex in examples]
    quantized = getattr(model.get_base_model(), "hf_quantizer", None) is not None
    held = copy.deepcopy(model).to(dtype) if dtype != torch.float32 and not quantized else model
    with torch.autocast(model.device.type, dtype=dtype, enabled=dtype != torch.float32 and held is model):
        with held.disable_adapter():
            base = generate_batch(held, tokenizer, prompts, 96, stop_ids)
        tuned = generate_batch(held, tokenizer, prompts, 96, stop_ids)
    del held
    refs = [ex["answer"] for ex in examples]
    mean = lambda xs: round(sum(xs) / max(len(xs), 1), 4)  # noqa: E731
    return {
        "rows": len(examples),
        "rouge_l_base": mean([rouge_l(c.text, r) for c, r in zip(base, refs, strict=True)]),
        "rouge_l_finetuned": mean([rouge_l(c.text, r) for c, r in zip(tuned, refs, strict=True)]),
        "example": {"reference": refs[0], "base": base[0].text, "finetuned": tuned[0].text} if refs else None,
    }


def run(cfg: Config, resume: bool = False, preview: int = 0, merge: bool = True) -> int:
    """`ragtune finetune [--resume] [--preview N] [--no-merge]`."""
    # --- setup: the data first (a bad row fails in a second), then the model ------------------
    ft, mc = cfg.finetune, cfg.model
    set_seed(ft.seed)
    device = pick_device(mc.device)
    report = DataReport()
    examples = read_examples(ft.instructions, report)
    for err in report.errors:
        log.warning("%s", err)
    if cfg.eval.questions.is_file():
        leaks = leaked_questions(examples, [q.question for q in read_questions(cfg.eval.questions)])
        if leaks:
            raise DataError(
                f"{len(leaks)} training rows repeat questions of the eval set {cfg.eval.questions}; remove them, "
                "or the evaluation measures memory, not skill: " + "; ".join(leaks[:10])
            )
    train_examples, val_examples = split(examples, ft.val_fraction, ft.seed)
    answerability: dict = {}
    if ft.retrieval_context:  # validation gets a hard negative per grounded row: the refusal threshold needs both
        train_examples, val_examples, coverage = grounded(cfg, train_examples, val_examples, report)
        answerability.update({"coverage": coverage} if coverage else {})
    model, tokenizer = load_generator(mc.generator, mc.models_dir, mc.device, load_in_4bit=ft.qlora,
                                      attention=training_attention(ft.attention, device))  # fmt: skip
    train_rows = tokenize_all(tokenizer, train_examples, mc.system_prompt, ft.max_seq_tokens, report)
    val_rows = tokenize_all(tokenizer, val_examples, mc.system_prompt, ft.max_seq_tokens, report)
    if preview:
        for row in train_rows[:preview]:
            print(render_trained(tokenizer, row), end="\n" + "-" * 80 + "\n")
        return 0
    if not train_rows:
        raise DataError(f"{ft.instructions}: no usable rows ({report.to_dict()}); fix the rows named in the warnings above")
    log.info("data: %s; %d train / %d validation rows", report.to_dict(), len(train_rows), len(val_rows))

    model.config.use_cache = False
    if ft.qlora:
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=ft.gradient_checkpointing)
    peft_model = get_peft_model(
        model,
        LoraConfig(
            r=ft.lora_r, lora_alpha=ft.lora_alpha, lora_dropout=ft.lora_dropout, target_modules=ft.target_modules,
            use_dora=ft.use_dora, use_rslora=ft.use_rslora, task_type="CAUSAL_LM",
            **top_layers(model, ft.lora_layers),
        ),
    )  # fmt: skip
    peft_model.print_trainable_parameters()

    # --- train -------------------------------------------------------------------------------
    steps_per_epoch = math.ceil(len(train_rows) / (ft.batch_size * ft.grad_accum))
    total_steps = ft.max_steps or math.ceil(steps_per_epoch * ft.epochs)
    eval_steps = ft.eval_steps or total_steps
    # transformers 5 reads the TensorBoard folder from the environment; logs live beside the adapter
    os.environ.setdefault("TENSORBOARD_LOGGING_DIR", str(ft.output_dir.parent / f"{ft.output_dir.name}.runs"))
    half = training_autocast(ft.precision, device)
    training_args = TrainingArguments(
        output_dir=str(ft.checkpoint_dir),
        per_device_train_batch_size=ft.batch_size,
        # validation in batches of a whole optimizer step: the Trainer averages per-batch means, so the loss it
        # reports depends on the validation batch; this keeps it comparable across micro-batch splits
        per_device_eval_batch_size=ft.batch_size * ft.grad_accum,
        gradient_accumulation_steps=ft.grad_accum,
        learning_rate=ft.learning_rate,
        num_train_epochs=ft.epochs,
        max_steps=ft.max_steps or -1,
        lr_scheduler_type="cosine",
        warmup_steps=math.ceil(ft.warmup_ratio * total_steps),
        logging_steps=max(1, total_steps // 20),
        eval_strategy="steps" if val_rows else "no",
        eval_steps=eval_steps,
        save_strategy="steps",
        save_steps=eval_steps if ft.early_stopping_patience else ft.save_steps,
        save_total_limit=2,
        load_best_model_at_end=bool(ft.early_stopping_patience and val_rows),
        metric_for_best_model="eval_loss",
        train_sampling_strategy="group_by_length",  # batches of similar length: little padding
        activation_checkpointing=ft.gradient_checkpointing,
        bf16=half == torch.bfloat16,
        fp16=half == torch.float16,
        use_cpu=device == "cpu",
        ddp_backend="gloo" if device == "cpu" and int(os.environ.get("WORLD_SIZE", "1")) > 1 else None,
        dataloader_num_workers=0,
        prediction_loss_only=True,
        remove_unused_columns=False,
        report_to=["tensorboard"] if ft.tensorboard else [],
        seed=ft.seed,
    )
    callbacks = [EarlyStoppingCallback(ft.early_stopping_patience)] if training_args.load_best_model_at_end else []
    refusal_ids = refusal_token_ids(tokenizer, (mc.not_found_phrase, mc.not_found_phrase_en))
    tokenized = lambda rs: [{k: r[k] for k in ("input_ids", "labels")} for r in rs]  # noqa: E731
    trainer = SupervisedTrainer(
        model=peft_model,
        args=training_args,
        train_dataset=tokenized(train_rows),
        eval_dataset=[{**r, "row": i} for i, r in enumerate(tokenized(val_rows))] or None,  # refusal scores by row
        data_collator=pad_collate(tokenizer.pad_token_id),
        callbacks=callbacks,
        refusal_token_ids=refusal_ids if val_rows else None,  # the last validation pass scores refusal too
    )
    run_record = {"config": {"model": config_to_dict(mc), "finetune": config_to_dict(ft)},
                  "data_sha256": rows_digest(train_rows, val_rows)}  # fmt: skip
    checkpoint = last_complete_checkpoint(ft.checkpoint_dir) if resume else None
    if checkpoint:
        check_resumable(ft.checkpoint_dir, run_record)
    if resume:
        log.info("--resume: %s", f"continuing from {checkpoint}" if checkpoint else f"no checkpoint in {ft.checkpoint_dir}, starting afresh")
    if trainer.is_world_process_zero():  # one writer under torchrun
        ft.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        write_json(ft.checkpoint_dir / RUN_RECORD, run_record)  # what a later --resume must match
    started = time.perf_counter()
    with reused_memory(device):
        result = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    wall_s = time.perf_counter() - started
    if not trainer.is_world_process_zero():
        return 0  # rank 0 writes the artifacts

    evals = [entry["eval_loss"] for entry in trainer.state.log_history if "eval_loss" in entry]
    steps_done = result.global_step
    world = training_args.world_size
    rows_seen = min(len(train_rows) * ft.epochs, steps_done * ft.batch_size * ft.grad_accum * world)
    supervised_per_row = sum(sum(t != IGNORE_INDEX for t in r["labels"]) for r in train_rows) / len(train_rows)
    tokens_per_row = sum(len(r["input_ids"]) for r in train_rows) / len(train_rows)

    # --- save --------------------------------------------------------------------------------
    staging = staging_dir(ft.output_dir)
    peft_model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    record = {
        "adapter_id": adapter_id(staging),  # the merged model names the adapter it came from (serve/generator.py)
        "base_model": mc.generator,
        "prompt_format": prompt_format_record(tokenizer, mc.system_prompt),
        "config": {"model": config_to_dict(mc), "finetune": config_to_dict(ft)},
    }
    peft_model.eval()
    if val_rows:
        with reused_memory(device):
            scored = trainer.refusal_scores if trainer.refusal_scores_step == steps_done else []
            final = not training_args.load_best_model_at_end  # else the weights kept may not be the last ones scored
            # under torchrun each process scored a shard: no complete set, so the rows are prefilled again
            reuse = final and len(scored) == len(val_rows) and not any(math.isnan(x) for x in scored)
            answerability["refusal_score"] = calibrate_refusal(peft_model, tokenizer, val_rows, cfg, scored if reuse else None)
    for score, c in answerability.items():
        log.info("answerability: %s threshold %.4f refuses %.0f%% of %d unanswerable and %.0f%% of %d answerable rows",
                 score, c["threshold"], 100 * c["refusal_recall"], c["rows_unanswerable"], 100 * c["false_refusal"],
                 c["rows_answerable"])  # fmt: skip
    record["answerability"] = answerability
    write_json(staging / ADAPTER_RECORD, record)
    peak_rss_mb = _peak_rss_mb()
    train_report = {
        "data": report.to_dict(),
        "train_rows": len(train_rows),
        "val_rows": len(val_rows),
        "world_size": world,
        "resumed_from_step": int(checkpoint.name.rsplit("-", 1)[1]) if checkpoint else None,
        "steps": steps_done,
        "train_loss": result.training_loss,
        "val_loss": evals[-1] if evals else None,
        "best_val_loss": min(evals) if evals else None,
        "wall_s": round(wall_s, 1),
        "supervised_tokens_per_s": round(supervised_per_row * rows_seen / wall_s, 1),
        "tokens_per_s": round(tokens_per_row * rows_seen / wall_s, 1),
        "peak_rss_mb": peak_rss_mb,
        "peak_cuda_mb": round(torch.cuda.max_memory_allocated() / 2**20) if device == "cuda" else None,
        "device": device,
        "attention": peft_model.config._attn_implementation,
        "log_history": trainer.state.log_history,
    }
    stops = stop_token_ids(tokenizer)
    if ft.compare_rows and val_rows:
        dtype = precision_dtype(mc.inference_dtype, device)
        with reused_memory(device):
            train_report["comparison"] = compare_on_validation(peft_model, tokenizer, val_rows[: ft.compare_rows], stops, dtype)
    write_json(staging / "train_report.json", train_report)
    loss_chart(trainer.state.log_history, staging / "loss.png")
    replace_dir(staging, ft.output_dir)
    shutil.rmtree(ft.checkpoint_dir, ignore_errors=True)
    log.info("adapter saved to %s", ft.output_dir)

    # --- merge -------------------------------------------------------------------------------
    if merge and not ft.qlora:  # a 4-bit base cannot be merged losslessly: serve base + adapter
        probe = [
            render_prompt(tokenizer, build_messages("Xin chào, bạn là ai?", system_prompt=mc.system_prompt)),
            render_prompt(
                tokenizer,
                build_messages("Giờ làm việc là mấy giờ?", [Passage("Giờ làm việc từ 8h30 đến 17h30.", "Nội quy")], (), mc.system_prompt),
            ),
        ]
        parity = merge_adapter(peft_model, tokenizer, ft.merged_dir, record, stops, probe, precision_dtype(mc.inference_dtype, device))
        log.info("merged model saved to %s (%s)", ft.merged_dir, parity)
    elif (ft.merged_dir / ADAPTER_RECORD).exists():
        log.warning("%s was merged from an earlier adapter: the server serves base + the new adapter %s instead",
                    ft.merged_dir, ft.output_dir)  # fmt: skip
    summary = {k: v for k, v in train_report.items() if k not in ("log_history", "data")}
    print(json.dumps(summary, ensure_ascii=False, sort_keys=True))
    if "comparison" in train_report:
        c = train_report["comparison"]
        print(f"ROUGE-L on {c['rows']} held-out validation rows: base {c['rouge_l_base']:.3f} -> fine-tuned {c['rouge_l_finetuned']:.3f}")
    return 0


def grounded(cfg: Config, train: list, val: list, report: DataReport) -> tuple[list, list, dict]:
    """Train and validation rows in the context the server would give them (finetune/grounding.py), and the
    question-coverage threshold chosen on the training rows (ragtune/answerability.py)."""
    import random

    from ragtune.finetune.grounding import cited, ground
    from ragtune.prompt import retrieval_query
    from ragtune.rag.retrieve import build_retriever
    from ragtune.rag.store import IndexNotFound

    ft, mc, sc = cfg.finetune, cfg.model, cfg.serve
    if not any(cited(ex) for ex in train + val):  # nothing to render in context: no index needed
        return train, val, {}
    try:
        retriever = build_retriever(cfg)
    except IndexNotFound as e:
        raise DataError(f"{e}; finetune.retrieval_context renders rows with retrieved passages: run `make index` first "
                        "(or set finetune.retrieval_context=false)") from e  # fmt: skip

    def query(example) -> str:  # what the server searches for this turn
        return retrieval_query(example.question, [{"role": r, "content": c} for r, c in example.history])

    def search(example) -> list[Passage]:
        return [h.passage() for h in retriever.search(query(example), sc.top_k, min_share=sc.min_relative_score)]

    def not_found(question: str) -> str:
        return not_found_for(question, mc.not_found_phrase, mc.not_found_phrase_en)

    rng = random.Random(ft.seed)
    train = ground(train, search, ft.hard_negatives, not_found, rng, report.rendered)
    val = ground(val, search, 1.0, not_found, rng, Counter())
    phrases = (mc.not_found_phrase, mc.not_found_phrase_en)
    scored = [ex for ex in train if ex.passages]
    scores = [retriever.uncovered(query(ex), list(ex.passages)) for ex in scored]
    coverage = calibrate(scores, [ex.answer.strip() in phrases for ex in scored], ft.max_false_refusal)
    return train, val, {**coverage, "unit": COVERAGE_UNIT}


def calibrate_refusal(model, tokenizer, val_rows: list[dict], cfg: Config, scores: list[float] | None = None) -> dict:
    """The refusal threshold (ragtune/answerability.py) from the validation rows' refusal scores: `scores` as the
    last validation pass recorded them for the final weights, or, without them, one prefill of every row's prompt."""
    mc = cfg.model
    phrases = (mc.not_found_phrase, mc.not_found_phrase_en)
    ids = refusal_token_ids(tokenizer, phrases)
    scored_by = "validation pass"
    if scores is None:
        scored_by = "prefill"
        prompts = [render_prompt(tokenizer, row["messages"]) for row in val_rows]
        dtype = precision_dtype(mc.inference_dtype, str(model.device.type))
        with torch.autocast(model.device.type, dtype=dtype, enabled=dtype != torch.float32):
            scores = refusal_scores(model, tokenizer, prompts, ids)
    unanswerable = [row["answer"].strip() in phrases for row in val_rows]
    return {**calibrate(scores, unanswerable, cfg.finetune.max_false_refusal), "token_ids": ids, "scored_by": scored_by}


def top_layers(model, share: float) -> dict:
    """LoRA arguments that put adapters on the top `share` of the transformer layers only ({} for all of them).

    Nothing below the lowest adapted layer has a trainable weight, so autograd stops there: with the top half
    adapted, a step runs the backward pass through half the network (the bottom half is forward only).
    """
    layers = model.config.get_text_config().num_hidden_layers
    keep = max(1, math.ceil(share * layers))
    if keep >= layers:
        return {}
    return {"layers_to_transform": list(range(layers - keep, layers)), "layers_pattern": "layers"}


def reused_memory(device: str):
    """On CPU, a block whose steps free and reallocate the same large tensors (training steps; generation under
    autocast, which casts every weight each step) keeps freed memory for reuse (ragtune/hardware.py)."""
    return retained_freed_memory() if device == "cpu" else nullcontext()


def training_attention(setting: str, device: str) -> str | None:
    """The attention implementation to train with, or None for transformers' default (sdpa).

    On CPU, torch's flash-attention kernel computes every block of a masked (sliding-window) attention and its
    backward pass; eager attention's two matmuls and softmax took 19 % less time per step on the default
    model's training rows (docs/design.md, "Hardware"). On GPU, sdpa's fused kernels win.
    """
    if setting == "auto":
        return "eager" if device == "cpu" else None
    return setting


def training_autocast(setting: str, device: str) -> torch.dtype | None:
    """The half type training autocasts to (weights and optimizer stay fp32), or None for plain fp32."""
    if setting == "fp32":
        return None
    dtype = precision_dtype("auto" if setting == "auto" else setting, device)
    return None if dtype == torch.float32 else dtype


RUN_RECORD = "ragtune_run.json"  # in the checkpoint folder: the config and data its checkpoints were trained on
# settings that say where things go or what is reported, not what is trained: free to change on --resume
RESUME_FREE = {"output_dir", "merged_dir", "checkpoint_dir", "tensorboard", "compare_rows", "save_steps", "models_dir"}


class ResumeMismatch(RagtuneError, RuntimeError):
    """--resume found checkpoints of a run with another config or other data."""


def rows_digest(*row_sets) -> str:
    """sha256 of the tokenized rows, in order: what training consumes, whatever produced it (data, index, template)."""
    digest = hashlib.sha256()
    for rows in row_sets:
        for row in rows:
            digest.update(json.dumps([row["input_ids"], row["labels"]]).encode())
        digest.update(b"|")
    return digest.hexdigest()


def check_resumable(checkpoint_dir: Path, run_record: dict) -> None:
    """Refuse to continue checkpoints trained on another config or other data, naming what differs."""
    path = checkpoint_dir / RUN_RECORD
    if not path.exists():
        raise ResumeMismatch(f"{checkpoint_dir} has checkpoints but no {RUN_RECORD}: they cannot be matched to this run; "
                             "drop --resume, or delete the folder")  # fmt: skip
    earlier = json.loads(path.read_text(encoding="utf-8"))
    differ = [f"data (sha256 {earlier.get('data_sha256', '?')[:12]} then, {run_record['data_sha256'][:12]} now)"] \
        if earlier.get("data_sha256") != run_record["data_sha256"] else []  # fmt: skip
    for section, settings in run_record["config"].items():
        before = earlier.get("config", {}).get(section, {})
        differ += [f"{section}.{k} ({before.get(k)!r} then, {v!r} now)" for k, v in settings.items()
                   if before.get(k) != v and k not in RESUME_FREE]  # fmt: skip
    if differ:
        raise ResumeMismatch(f"--resume: the checkpoints in {checkpoint_dir} come from a run with other settings: "
                             f"{'; '.join(differ)}. Drop --resume to start afresh, or restore those settings")  # fmt: skip


def adapter_id(folder: Path) -> str:
    """sha256 of the saved adapter weights: names one trained adapter."""
    digest = hashlib.sha256()
    with open(folder / "adapter_model.safetensors", "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def last_complete_checkpoint(folder):
    """The newest checkpoint whose trainer state (written last) is complete: a kill mid-save leaves a partial one."""
    complete = []
    for path in folder.glob("checkpoint-*"):
        try:
            json.loads((path / "trainer_state.json").read_text())
        except (OSError, ValueError):
            continue
        complete.append((int(path.name.rsplit("-", 1)[1]), path))
    return max(complete)[1] if complete else None


def _peak_rss_mb() -> int:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


if __name__ == "__main__":
    sys.exit(main())
