"""Training runs on the tiny model: adapter round trip, resume after a kill, two processes under torchrun."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM

from ragtune.artifacts import ADAPTER_RECORD
from ragtune.config import DEFAULT_SYSTEM_PROMPT
from ragtune.finetune.__main__ import main as finetune_main
from ragtune.finetune.export import vllm_problems

ROOT = Path(__file__).resolve().parents[2]
ROWS = [
    {"instruction": f"Câu hỏi số {i} về nghỉ phép?", "output": f"Dạ, câu trả lời {i} [1].",
     "context": [{"doc_id": "company/a.md", "title": "A", "text": f"Nội dung {i}."}]}
    for i in range(24)
]  # fmt: skip


def overrides(tmp_path: Path, tiny_model_dir: Path, *extra: str) -> list[str]:
    data = tmp_path / "train.jsonl"
    if not data.exists():
        data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS), encoding="utf-8")
    return [
        f"model.generator={tiny_model_dir}", f"finetune.instructions={data}", f"finetune.output_dir={tmp_path}/adapter",
        f"finetune.merged_dir={tmp_path}/merged", f"finetune.checkpoint_dir={tmp_path}/ckpt", f"eval.questions={tmp_path}/none.jsonl",
        "finetune.batch_size=2", "finetune.learning_rate=0.01", "finetune.val_fraction=0.2", "finetune.tensorboard=false",
        "finetune.compare_rows=2", "finetune.retrieval_context=false", *extra,
    ]  # fmt: skip


def test_adapter_round_trip_gives_the_same_logits_and_only_adapter_files(tmp_path, tiny_model_dir):
    # fp32 inference: the merged model is saved in fp32 and must equal base + adapter
    args = overrides(tmp_path, tiny_model_dir, "finetune.max_steps=4", "model.inference_dtype=fp32")
    assert finetune_main(["--config", str(tmp_path / "none.yaml"), *args]) == 0
    adapter = tmp_path / "adapter"
    names = {p.name for p in adapter.iterdir()}
    assert {"adapter_model.safetensors", "adapter_config.json", ADAPTER_RECORD, "train_report.json", "loss.png"} <= names
    assert not any(n.startswith("model") and n.endswith(".safetensors") for n in names)
    report = json.loads((adapter / "train_report.json").read_text())
    assert report["steps"] == 4 and report["comparison"]["rows"] == 2 and report["peak_rss_mb"] > 0
    assert report["attention"] == "eager"  # on CPU (finetune.attention=auto)
    assert not (tmp_path / "ckpt").exists()  # checkpoints are removed after a successful run
    ids = torch.tensor([[1, 5, 9, 30, 42, 7]])
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    with torch.no_grad():
        plain = base(ids).logits
        tuned = PeftModel.from_pretrained(base, adapter).eval()(ids).logits
        merged = AutoModelForCausalLM.from_pretrained(tmp_path / "merged")(ids).logits
    assert not torch.allclose(plain, tuned)  # the adapter changed the model
    torch.testing.assert_close(tuned, merged, rtol=1e-4, atol=1e-5)
    assert vllm_problems(json.loads((adapter / "adapter_config.json").read_text())) == []  # vLLM --enable-lora loads it


def test_adapter_options_vllm_cannot_load_are_named():
    config = {"r": 8, "lora_alpha": 16, "bias": "none", "use_dora": False, "modules_to_save": None}
    assert vllm_problems(config) == []
    problems = vllm_problems({**config, "use_dora": True, "r": 32, "modules_to_save": ["lm_head"], "bias": "lora_only"})
    assert len(problems) == 4 and "DoRA" in problems[0] and "--max-lora-rank 32" in problems[-1]


def test_the_merged_model_is_saved_in_the_inference_dtype(tmp_path, tiny_model_dir):
    """The server loads it as it is: an fp32 file loaded as bf16 held both copies (and the file) in memory."""
    from ragtune.hardware import precision_dtype

    args = overrides(tmp_path, tiny_model_dir, "finetune.max_steps=2", "finetune.compare_rows=0")
    assert finetune_main(["--config", str(tmp_path / "none.yaml"), *args]) == 0
    expected = precision_dtype("auto", "cpu")
    merged = AutoModelForCausalLM.from_pretrained(tmp_path / "merged")  # the dtype it was saved in
    assert merged.dtype == expected
    ids = torch.tensor([[1, 5, 9, 30, 42, 7]])
    with torch.no_grad():
        tuned = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_model_dir), tmp_path / "adapter").eval()
        torch.testing.assert_close(merged.float()(ids).logits, tuned.to(expected).float()(ids).logits, rtol=0.05, atol=0.05)


def test_resume_after_a_killed_run_continues_from_the_checkpoint_of_the_same_run_only(tmp_path, tiny_model_dir, capsys):
    args = overrides(tmp_path, tiny_model_dir, "finetune.max_steps=60", "finetune.save_steps=5", "finetune.compare_rows=0")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "ragtune.finetune", "--no-merge", "--config", str(tmp_path / "none.yaml"), *args],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.time() + 120
    while time.time() < deadline and not list((tmp_path / "ckpt").glob("checkpoint-10")):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "adapter").exists()  # nothing half-written where the adapter goes
    done = [int(p.name.split("-")[1]) for p in (tmp_path / "ckpt").glob("checkpoint-*")]
    assert done and max(done) < 60
    config = ["--resume", "--no-merge", "--config", str(tmp_path / "none.yaml")]
    # checkpoints of another run are refused, naming what differs: a setting, or the data
    assert finetune_main([*config, *args, "finetune.learning_rate=0.02"]) == 2
    assert "finetune.learning_rate (0.01 then, 0.02 now)" in capsys.readouterr().err
    other = tmp_path / "other.jsonl"
    other.write_text("\n".join(json.dumps({**r, "output": r["output"] + " Thêm."}, ensure_ascii=False) for r in ROWS), encoding="utf-8")
    assert finetune_main([*config, *args, f"finetune.instructions={other}"]) == 2
    assert "other settings: data (sha256" in capsys.readouterr().err
    assert finetune_main([*config, *args, f"finetune.output_dir={tmp_path}/adapter"]) == 0  # where it goes is free
    report = json.loads((tmp_path / "adapter" / "train_report.json").read_text())
    assert report["steps"] == 60
    # the newest *complete* checkpoint: the kill may land while checkpoint-10 is being written
    assert report["resumed_from_step"] in done and report["resumed_from_step"] >= 5


@pytest.mark.skipif(sys.platform != "linux", reason="gloo on Linux")
def test_torchrun_two_cpu_processes_train_one_adapter(tmp_path, tiny_model_dir):
    args = overrides(tmp_path, tiny_model_dir, "finetune.max_steps=3", "finetune.compare_rows=0")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29533",
           "-m", "ragtune.finetune", "--config", str(tmp_path / "none.yaml"), *args]  # fmt: skip
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((tmp_path / "adapter" / "train_report.json").read_text())
    assert report["world_size"] == 2 and report["steps"] == 3
    assert (tmp_path / "merged" / "model.safetensors").exists()


@pytest.mark.integration
def test_real_default_model_trains_a_few_steps(tmp_path):
    """Gemma 3 270M (the packaged default) on two shipped rows, the same batch each step: the loss falls."""
    rows = (ROOT / "corpora" / "instructions" / "train.jsonl").read_text(encoding="utf-8").splitlines()[:2]
    data = tmp_path / "train.jsonl"
    data.write_text("\n".join(rows), encoding="utf-8")
    args = [
        f"finetune.instructions={data}", f"finetune.output_dir={tmp_path}/adapter", f"finetune.checkpoint_dir={tmp_path}/ckpt",
        f"model.models_dir={ROOT}/artifacts/models", f"eval.questions={tmp_path}/none.jsonl", "finetune.max_steps=3",
        "finetune.batch_size=2", "finetune.lora_dropout=0", "finetune.val_fraction=0", "finetune.compare_rows=0", "finetune.tensorboard=false",
        "finetune.retrieval_context=false",  # the rows as written: this checks the training step on the real model
    ]  # fmt: skip
    assert finetune_main(["--no-merge", "--config", str(tmp_path / "none.yaml"), *args]) == 0
    report = json.loads((tmp_path / "adapter" / "train_report.json").read_text())
    losses = [e["loss"] for e in report["log_history"] if "loss" in e]
    assert report["steps"] == 3 and all(0 < x < 20 for x in losses)
    assert losses[-1] < losses[0]


def test_retrieval_context_trains_in_served_context_with_hard_negatives_and_calibrates(tmp_path, tiny_model_dir, tiny_embedder_dir, tiny_corpus):
    from sentence_transformers import SentenceTransformer

    from ragtune.rag.index import build_index

    build_index(tiny_corpus, tmp_path / "index", str(tiny_embedder_dir), 64, 8, 8,
                embedder=SentenceTransformer(str(tiny_embedder_dir), device="cpu"))  # fmt: skip
    args = overrides(tmp_path, tiny_model_dir, "finetune.max_steps=2", "finetune.retrieval_context=true",
                     "finetune.hard_negatives=0.5", f"model.embedder={tiny_embedder_dir}", f"index.output_dir={tmp_path}/index")  # fmt: skip
    assert finetune_main(["--no-merge", "--config", str(tmp_path / "none.yaml"), *args]) == 0
    report = json.loads((tmp_path / "adapter" / "train_report.json").read_text())
    rendered = report["data"]["rendered"]
    held_out = round(len(ROWS) * 0.2)
    assert rendered["served_context"] == len(ROWS) - held_out and 0 < rendered["hard_negative"] < len(ROWS) - held_out
    assert report["train_rows"] == rendered["served_context"] + rendered["hard_negative"]
    assert report["val_rows"] == 2 * held_out  # every validation row with its hard negative
    answerability = json.loads((tmp_path / "adapter" / ADAPTER_RECORD).read_text())["answerability"]
    for score in ("coverage", "refusal_score"):  # coverage on the training rows, the model's score on validation
        assert 0 <= answerability[score]["threshold"] <= 1 and answerability[score]["rows_unanswerable"] > 0
        assert answerability[score]["curve"][-1]["answer_rate"] == 1.0  # the 'never refuse' end of the curve
    assert answerability["coverage"]["rows_answerable"] == rendered["served_context"]
    assert answerability["refusal_score"]["scored_by"] == "validation pass"  # the last one ran on the final weights


def test_retrieval_context_without_an_index_names_the_fix(tmp_path, tiny_model_dir, capsys):
    args = overrides(tmp_path, tiny_model_dir, "finetune.retrieval_context=true", f"index.output_dir={tmp_path}/no-index")
    assert finetune_main(["--no-merge", "--config", str(tmp_path / "none.yaml"), *args]) == 2
    assert "make index" in capsys.readouterr().err


def test_training_attention_is_eager_on_cpu_and_the_default_on_gpu_unless_set():
    from ragtune.finetune.__main__ import training_attention

    assert training_attention("auto", "cpu") == "eager" and training_attention("auto", "cuda") is None
    assert training_attention("sdpa", "cpu") == "sdpa" and training_attention("eager", "cuda") == "eager"


def test_training_autocasts_to_bf16_only_where_the_hardware_computes_it():
    from ragtune.finetune.__main__ import training_autocast
    from ragtune.hardware import native_bf16

    assert training_autocast("fp32", "cpu") is None and training_autocast("bf16", "cpu") == torch.bfloat16
    assert training_autocast("auto", "cpu") == (torch.bfloat16 if native_bf16("cpu") else None)


def test_a_merged_model_from_an_earlier_adapter_is_never_served_over_the_new_adapter(tmp_path, tiny_model_dir, caplog):
    """`finetune --no-merge` (or QLoRA, or a merge that died) after a merged run used to leave the old merged model,
    which the server preferred to the new adapter."""
    from ragtune.serve.generator import load_for_serving

    conf = ["--config", str(tmp_path / "none.yaml")]
    assert finetune_main([*conf, *overrides(tmp_path, tiny_model_dir, "finetune.max_steps=2", "finetune.compare_rows=0")]) == 0
    first = json.loads((tmp_path / "merged" / ADAPTER_RECORD).read_text())["adapter_id"]
    assert first == json.loads((tmp_path / "adapter" / ADAPTER_RECORD).read_text())["adapter_id"]
    serve = (str(tiny_model_dir), tmp_path / "models", tmp_path / "adapter", tmp_path / "merged", "cpu", DEFAULT_SYSTEM_PROMPT)
    assert load_for_serving(*serve, "fp32").name.endswith("(merged)")
    again = overrides(tmp_path, tiny_model_dir, "finetune.max_steps=3", "finetune.compare_rows=0", "finetune.learning_rate=0.02")
    assert finetune_main(["--no-merge", *conf, *again]) == 0
    assert json.loads((tmp_path / "adapter" / ADAPTER_RECORD).read_text())["adapter_id"] != first
    lm = load_for_serving(*serve, "fp32")
    assert lm.name.endswith("+lora") and lm.adapter == "adapter" and "STALE MERGED MODEL" in caplog.text
    ids = torch.tensor([[1, 5, 9, 30, 42, 7]])
    with torch.no_grad():
        fresh = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_model_dir), tmp_path / "adapter").eval()
        torch.testing.assert_close(lm.model(ids).logits, fresh(ids).logits)
