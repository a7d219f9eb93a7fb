"""Fine-tuning throughput: ours (`python -m finetune`) vs TRL's SFTTrainer, same model, rows, LoRA and steps.

Both train on the same seeded subset of corpora/instructions (steps × batch rows, so each sees the
same rows once, `--batch` rows an optimizer step: ours in its configured micro-batches, finetune.batch_size ×
finetune.grad_accum), validate on the same held-out rows at the end, and run in their own process, with the
same precision: bf16 autocast where the hardware computes bf16 natively (ours: finetune.precision=auto),
else fp32. TRL runs with gradient checkpointing off and completion-only loss, with the same LoRA (rank, modules, and
the same top `finetune.lora_layers` share of the layers).
Prints one JSON line: supervised tokens/s of each, the ratio, peak RSS of each, final validation loss.

    python bench/finetune_throughput.py [--steps 8] [--batch 4]   (needs: pip install trl)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ragtune.config import load_config  # noqa: E402
from ragtune.finetune.__main__ import top_layers, training_autocast  # noqa: E402
from ragtune.finetune.data import IGNORE_INDEX, DataReport, read_examples, split, tokenize_all  # noqa: E402
from ragtune.models import resolve_generator  # noqa: E402
from ragtune.prompt import render_example  # noqa: E402

VAL_ROWS = 16


def subset(cfg, steps: int, batch: int, work: Path) -> Path:
    """The same rows for both trainers: a seeded sample of steps × batch + VAL_ROWS rows, as JSONL.

    Both split it with the project's seeded `split`, so they train and validate on the same rows.
    """
    lines = (ROOT / "corpora" / "instructions" / "train.jsonl").read_text(encoding="utf-8").splitlines()
    shuffled, _ = split(lines, 0.0, cfg.finetune.seed)
    path = work / "rows.jsonl"
    path.write_text("\n".join(shuffled[: steps * batch + VAL_ROWS]) + "\n", encoding="utf-8")
    return path


def trl_worker(rows_file: Path, steps: int, batch: int, out_dir: Path) -> dict:
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    cfg = load_config(ROOT / "config.yaml", env={})
    ft, mc = cfg.finetune, cfg.model
    half = training_autocast(ft.precision, "cpu")  # what `ragtune finetune` autocasts to on this machine
    source = resolve_generator(mc.generator, mc.models_dir)
    tokenizer = AutoTokenizer.from_pretrained(source)
    model = AutoModelForCausalLM.from_pretrained(source, dtype="float32")
    report = DataReport()
    examples = read_examples(rows_file, report)
    rows = tokenize_all(tokenizer, examples, mc.system_prompt, ft.max_seq_tokens, report)
    n_val = VAL_ROWS / len(rows)
    train_rows, val_rows = split(rows, n_val, ft.seed)  # the split `python -m finetune` makes with val_fraction=n_val

    def as_pairs(rs):
        pairs = [render_example(tokenizer, r["messages"], r["answer"]) for r in rs]
        # the chat template already starts with <bos>; TRL's tokenizer call adds it again
        return Dataset.from_list([{"prompt": p.removeprefix(tokenizer.bos_token), "completion": c} for p, c in pairs])

    args = SFTConfig(
        output_dir=str(out_dir), per_device_train_batch_size=batch, per_device_eval_batch_size=batch, max_steps=steps,
        learning_rate=ft.learning_rate, lr_scheduler_type="cosine", warmup_steps=0, logging_steps=1,
        eval_strategy="steps", eval_steps=steps, save_strategy="no", bf16=half == torch.bfloat16, gradient_checkpointing=False,
        completion_only_loss=True, max_length=ft.max_seq_tokens, packing=False, use_cpu=True, report_to=[],
        seed=ft.seed,
    )  # fmt: skip
    lora = LoraConfig(r=ft.lora_r, lora_alpha=ft.lora_alpha, lora_dropout=ft.lora_dropout,
                      target_modules=ft.target_modules, task_type="CAUSAL_LM", **top_layers(model, ft.lora_layers))  # fmt: skip
    trainer = SFTTrainer(model=model, args=args, train_dataset=as_pairs(train_rows), eval_dataset=as_pairs(val_rows),
                         processing_class=tokenizer, peft_config=lora)  # fmt: skip
    began = time.perf_counter()
    trainer.train()
    wall = time.perf_counter() - began
    evals = [e["eval_loss"] for e in trainer.state.log_history if "eval_loss" in e]
    supervised = sum(sum(t != IGNORE_INDEX for t in r["labels"]) for r in train_rows[: steps * batch])
    return {"wall_s": round(wall, 1), "supervised_tokens_per_s": round(supervised / wall, 1), "val_loss": evals[-1],
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--trl-worker", nargs=2, metavar=("ROWS", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.trl_worker:
        print(json.dumps(trl_worker(Path(args.trl_worker[0]), args.steps, args.batch, Path(args.trl_worker[1]))))
        return
    cfg = load_config(ROOT / "config.yaml", env={})
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rows_file = subset(cfg, args.steps, args.batch, work)
        n_rows = len(rows_file.read_text(encoding="utf-8").splitlines())
        # both train --batch rows an optimizer step; ours splits them into micro-batches as configured (2 × 2)
        accumulate = cfg.finetune.grad_accum if args.batch % cfg.finetune.grad_accum == 0 else 1
        ours_cmd = [sys.executable, "-m", "finetune", "--no-merge", f"finetune.instructions={rows_file}",
                    f"finetune.output_dir={work}/ours", f"finetune.checkpoint_dir={work}/ckpt", f"finetune.max_steps={args.steps}",
                    f"finetune.batch_size={args.batch // accumulate}", f"finetune.grad_accum={accumulate}",
                    f"finetune.val_fraction={VAL_ROWS / n_rows}", "finetune.compare_rows=0",
                    "finetune.tensorboard=false", "finetune.warmup_ratio=0", f"eval.questions={work}/none",
                    "finetune.retrieval_context=false"]  # the same rows as TRL gets, as written  # fmt: skip
        subprocess.run(ours_cmd, cwd=ROOT, env=env, check=True, capture_output=True)
        ours = json.loads((work / "ours" / "train_report.json").read_text())
        trl_run = subprocess.run([sys.executable, __file__, "--steps", str(args.steps), "--batch", str(args.batch),
                                  "--trl-worker", str(rows_file), str(work / "trl")],
                                 cwd=ROOT, env=env, check=True, capture_output=True, text=True)  # fmt: skip
        trl = json.loads(trl_run.stdout.strip().splitlines()[-1])
    out = {
        "model": cfg.model.generator, "steps": args.steps, "batch": args.batch, "ours_micro_batches": accumulate,
        "lora_layers": cfg.finetune.lora_layers,
        "ours": {"wall_s": ours["wall_s"], "supervised_tokens_per_s": ours["supervised_tokens_per_s"],
                 "val_loss": ours["val_loss"], "peak_rss_mb": ours["peak_rss_mb"]},
        "trl": trl,
        "speed_ratio_ours_vs_trl": round(ours["supervised_tokens_per_s"] / trl["supervised_tokens_per_s"], 2),
        "rss_ratio_ours_vs_trl": round(ours["peak_rss_mb"] / trl["peak_rss_mb"], 2),
    }  # fmt: skip
    print(json.dumps(out))


if __name__ == "__main__":
    main()
