"""Load test of a real server process on loopback: 1, 4 and 8 concurrent streaming clients.

Starts `python -m serve` with the configured (default) model and index, sends a fixed number of
questions from corpora/eval per level, and prints one JSON line: answers/s, time to first token
p50/p95, latency p50/p95, errors, and the server's peak RSS. Needs `make finetune` and `make index`.

    python bench/serve_load.py [--questions 48] [--max-tokens N] [--levels 1,4,8] [--backends engine,llama.cpp]

`--backends engine,llama.cpp` runs the same load twice: on ragtune's own engine, then with ragtune in front of
llama-cpp-python's OpenAI server (`serve.generator_url`, 2 threads) on `--gguf`: the GGUF of the model ragtune
serves (`make export ARGS=--gguf` for a merged adapter; the packaged base GGUF when ragtune serves the bare base
model). ragtune retrieves, prompts and verifies in both; peak RSS then counts both processes.

Answers run to the model's own end of turn, capped by serve.max_new_tokens unless --max-tokens is given.
Throughput is a steady-state figure, so each level answers enough questions for several rounds of its
clients: with 16 questions, 8 clients run two rounds and half the answers finish while the batch
drains (the last rows decode alone), which measures the drain rather than batching (1.7-2.1x at 16
questions vs 2.6x at 48 in the same session).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ragtune.artifacts import ADAPTER_RECORD  # noqa: E402
from ragtune.config import load_config  # noqa: E402
from ragtune.models import PACKAGED, packaged_gguf  # noqa: E402
from ragtune.serve.launch import running_llama_server, running_server  # noqa: E402


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def one(base: str, question: str, max_tokens: int) -> tuple[float, float]:
    """(time to first token, total latency) of one streamed /ask."""
    began = time.perf_counter()
    first = None
    body = {"question": question, "stream": True, **({"max_tokens": max_tokens} if max_tokens else {})}
    with httpx.stream("POST", f"{base}/ask", json=body, timeout=600) as r:
        r.raise_for_status()
        for line in r.iter_lines():
            if first is None and '"type": "delta"' in line:
                first = time.perf_counter() - began
    total = time.perf_counter() - began
    return (first if first is not None else total), total


def level(base: str, questions: list[str], clients: int, max_tokens: int) -> dict:
    todo = list(questions)
    lock = threading.Lock()
    ttft, latency, errors = [], [], []

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                q = todo.pop()
            try:
                t, total = one(base, q, max_tokens)
                with lock:
                    ttft.append(t)
                    latency.append(total)
            except Exception as e:  # noqa: BLE001  every failure is counted, none stops the run
                with lock:
                    errors.append(repr(e)[:120])

    began = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    return {"answers_per_s": round(len(latency) / wall, 3), "ttft_p50": pct(ttft, 0.5), "ttft_p95": pct(ttft, 0.95),
            "latency_p50": pct(latency, 0.5), "latency_p95": pct(latency, 0.95), "errors": len(errors),
            "first_error": errors[0] if errors else None}  # fmt: skip


def served_gguf(given: str) -> Path:
    """The GGUF llama.cpp serves: `--gguf`, else the packaged base GGUF if ragtune would serve the bare base model."""
    if given:
        return Path(given)
    cfg = load_config(ROOT / "config.yaml", env={})
    if (cfg.finetune.merged_dir / ADAPTER_RECORD).exists() or (cfg.finetune.output_dir / ADAPTER_RECORD).exists():
        raise SystemExit("ragtune serves a fine-tuned model: export it (make export ARGS=--gguf) and pass --gguf FILE")
    if cfg.model.generator not in PACKAGED:
        raise SystemExit(f"model.generator={cfg.model.generator!r} is not a packaged model: pass its GGUF with --gguf FILE")
    return packaged_gguf(cfg.model.generator, cfg.model.models_dir)


def load(questions: list[str], levels: list[int], max_tokens: int, overrides: list[str], extra_pid: int | None) -> dict:
    with running_server(["serve.reload_poll_s=0", *overrides], timeout_s=600) as (base, proc):
        one(base, "khởi động", 4)  # warm-up
        out: dict = {"model": httpx.get(f"{base}/ready").json()["model"]}
        for clients in levels:
            out[f"clients_{clients}"] = level(base, questions, clients, max_tokens)
        if len(levels) > 1:
            out["throughput_ratio_max_vs_1"] = round(
                out[f"clients_{levels[-1]}"]["answers_per_s"] / max(out[f"clients_{levels[0]}"]["answers_per_s"], 1e-9), 2
            )
        out["server_peak_rss_mb"] = peak_rss_mb(proc.pid)
        if extra_pid is not None:
            out["generator_peak_rss_mb"] = peak_rss_mb(extra_pid)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=48, help="per level; 6 rounds of 8 clients")
    parser.add_argument("--max-tokens", type=int, default=0, help="0: the server's serve.max_new_tokens")
    parser.add_argument("--levels", default="1,4,8")
    parser.add_argument("--backends", default="engine", help="engine, llama.cpp, or both: engine,llama.cpp")
    parser.add_argument("--gguf", default="", help="the GGUF llama.cpp serves (see above)")
    args = parser.parse_args()
    rows = [json.loads(line) for line in (ROOT / "corpora" / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    questions = [r["question"] for r in rows[: args.questions]]
    levels = [int(c) for c in args.levels.split(",")]
    backends = args.backends.split(",")
    out: dict = {"questions": len(questions), "max_tokens": args.max_tokens}
    for backend in backends:
        if backend == "engine":
            out[backend] = load(questions, levels, args.max_tokens, [], None)
        elif backend == "llama.cpp":
            gguf = served_gguf(args.gguf)
            with running_llama_server(gguf) as (url, llama):
                overrides = [f"serve.generator_url={url}", "serve.generator_model=ragtune"]
                out[backend] = {"gguf": gguf.name, **load(questions, levels, args.max_tokens, overrides, llama.pid)}
        else:
            raise SystemExit(f"--backends: unknown backend {backend!r} (engine, llama.cpp)")
    if backends == ["engine"]:  # the line as before: one backend, its figures at the top
        out = {**out, **out.pop("engine")}
    elif set(backends) == {"engine", "llama.cpp"}:
        for clients in levels:
            key = f"clients_{clients}"
            out[f"engine_vs_llama_cpp_answers_per_s_{clients}"] = round(
                out["engine"][key]["answers_per_s"] / max(out["llama.cpp"][key]["answers_per_s"], 1e-9), 2
            )
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
