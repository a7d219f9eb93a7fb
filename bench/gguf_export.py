"""The GGUF files `ragtune export --gguf` writes, against the merged model in torch (one JSON line).

For each `--gguf-type` (mixed, f16, q8_0, q4_k_m: finetune/export.py) on the merged default model
(`finetune.merged_dir`, so `make finetune` first): file size, export seconds, and on the held-out validation rows
of the instruction data (the `finetune.val_fraction` split, each row's answer after its prompt) the perplexity of
the answer tokens in llama.cpp (llama-cpp-python, 2 threads) and how often llama.cpp's top token is torch's (fp32,
teacher-forced on the same tokens). The peer is the torch model itself: its perplexity is in the line too.
Run: `python bench/gguf_export.py [--rows N]`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from ragtune.config import load_config  # noqa: E402
from ragtune.finetune.data import IGNORE_INDEX, DataReport, read_examples, split, tokenize_example  # noqa: E402
from ragtune.finetune.export import GGUF_TYPES, export_gguf  # noqa: E402
from ragtune.models import packaged_gguf  # noqa: E402


def log_softmax(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=-1, keepdims=True)
    return scores - np.log(np.exp(scores).sum(axis=-1, keepdims=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=24, help="validation rows scored")
    args = parser.parse_args()
    cfg = load_config("config.yaml", [])
    from llama_cpp import Llama
    from transformers import AutoModelForCausalLM, AutoTokenizer

    merged = cfg.finetune.merged_dir
    tok = AutoTokenizer.from_pretrained(merged)
    _, val = split(read_examples(cfg.finetune.instructions, DataReport()), cfg.finetune.val_fraction, cfg.finetune.seed)
    rows = [tokenize_example(tok, e, cfg.model.system_prompt) for e in val[: args.rows]]
    rows = [r for r in rows if len(r["input_ids"]) <= 1024]
    model = AutoModelForCausalLM.from_pretrained(merged, dtype=torch.float32).eval()
    torch_scores, torch_nll, answer_tokens = [], 0.0, 0
    with torch.inference_mode():
        for r in rows:
            logits = model(torch.tensor([r["input_ids"]])).logits[0, :-1].double().numpy()
            at = [i for i, label in enumerate(r["labels"][1:]) if label != IGNORE_INDEX]
            targets = np.array(r["input_ids"])[1:][at]
            torch_scores.append(logits[at].argmax(-1))
            torch_nll -= log_softmax(logits[at])[np.arange(len(at)), targets].sum()
            answer_tokens += len(at)
    del model
    result = {"model": cfg.model.generator, "merged_dir": str(merged), "rows": len(rows), "answer_tokens": answer_tokens,
              "torch_fp32": {"perplexity": round(float(np.exp(torch_nll / answer_tokens)), 4)}}  # fmt: skip
    base = packaged_gguf(cfg.model.generator, cfg.model.models_dir)
    with tempfile.TemporaryDirectory() as tmp:
        for kind in GGUF_TYPES:
            began = time.perf_counter()
            path = export_gguf(merged, base, Path(tmp) / f"{kind}.gguf", kind)
            seconds = time.perf_counter() - began
            llm = Llama(model_path=str(path), n_ctx=1024, n_threads=2, logits_all=True, verbose=False)
            nll, agree = 0.0, 0
            for r, expected in zip(rows, torch_scores, strict=True):
                llm.reset()
                llm.eval(r["input_ids"])
                scores = np.array(llm.scores[: len(r["input_ids"]) - 1], dtype=np.float64)
                at = [i for i, label in enumerate(r["labels"][1:]) if label != IGNORE_INDEX]
                targets = np.array(r["input_ids"])[1:][at]
                nll -= log_softmax(scores[at])[np.arange(len(at)), targets].sum()
                agree += int((scores[at].argmax(-1) == expected).sum())
            result[kind] = {"size_mb": round(path.stat().st_size / 2**20, 1), "export_s": round(seconds, 1),
                            "perplexity": round(float(np.exp(nll / answer_tokens)), 4),
                            "top1_agreement_vs_torch": round(agree / answer_tokens, 4)}  # fmt: skip
            del llm
    print(json.dumps(result))


if __name__ == "__main__":
    main()
