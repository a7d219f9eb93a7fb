"""`ragtune <stage>`: a domain error becomes one `error: ...` line and exit code 2, early, without a traceback.

Every case runs the real command line in a subprocess, in an empty folder (no config.yaml: all defaults,
relative paths point nowhere), offline. None trains or loads a real model: a missing thing must be
noticed before heavy work, so a case that ran into the default models would hit the timeout.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SUBCOMMANDS = ["finetune", "index", "query", "serve", "eval", "export", "models", "config"]
POSITIONAL = {"query": ["Nghỉ phép năm bao nhiêu ngày?"]}


def ragtune(cwd: Path, *args: str, timeout_s: float = 90) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAGTUNE_", "EVAL"))}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    return subprocess.run([sys.executable, "-m", "ragtune", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout_s)  # fmt: skip


def error_line(proc: subprocess.CompletedProcess, logged_before: bool = False) -> str:
    """The one `error: ` line, after checking the exit code and that stderr holds nothing else: no traceback,
    and no log lines unless the stage was `logged_before` failing (then the error must still end stderr)."""
    assert proc.returncode == 2, f"exit {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], proc.stderr
    assert logged_before or len(lines) == 1, proc.stderr
    return errors[0]


# --- a bad config: every subcommand, before any stage code is imported ----------------------------


@pytest.mark.parametrize("sub", SUBCOMMANDS)
def test_unknown_key_in_the_config_file(tmp_path, sub):
    (tmp_path / "config.yaml").write_text("finetune:\n  epoch: 2\n")
    line = error_line(ragtune(tmp_path, sub, *POSITIONAL.get(sub, [])))
    assert "unknown key 'finetune.epoch'" in line and "epochs" in line


@pytest.mark.parametrize("sub", SUBCOMMANDS)
def test_wrong_type_on_the_command_line(tmp_path, sub):
    line = error_line(ragtune(tmp_path, sub, *POSITIONAL.get(sub, []), "serve.port=eighty"))
    assert "serve.port" in line and "'eighty'" in line


def test_several_config_problems_are_still_one_line(tmp_path):
    (tmp_path / "my.yaml").write_text("serve:\n  port: eighty\n  prot: 1\nindex:\n  chunk_tokens: -1\n")
    line = error_line(ragtune(tmp_path, "config", "--config", "my.yaml"))
    assert "serve.port" in line and "serve.prot" in line and "index.chunk_tokens" in line


# --- a missing model -------------------------------------------------------------------------------


@pytest.mark.parametrize("sub", SUBCOMMANDS)
def test_missing_model_folder(tmp_path, sub):
    key = "model.embedder" if sub in ("index", "query") else "model.generator"
    if sub == "export":
        line = error_line(ragtune(tmp_path, sub))
        assert "artifacts/merged" in line and "ragtune finetune" in line
        return
    line = error_line(ragtune(tmp_path, sub, *POSITIONAL.get(sub, []), f"{key}=./does-not-exist"))
    assert f"{key}: " in line and "does not exist" in line


def test_finetune_model_folder_without_a_model(tmp_path):
    (tmp_path / "empty").mkdir()
    row = {"instruction": "Nghỉ phép năm bao nhiêu ngày?", "output": "14 ngày."}
    (tmp_path / "train.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    line = error_line(ragtune(tmp_path, "finetune", "finetune.instructions=train.jsonl", "model.generator=./empty"))
    assert "model.generator='./empty'" in line and "no config.json" in line


def test_index_embedder_that_cannot_be_loaded(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A\n\nNghỉ phép năm 14 ngày.\n", encoding="utf-8")
    proc = ragtune(tmp_path, "index", "index.documents=docs", "model.embedder=no-such-org/no-such-embedder")
    line = error_line(proc, logged_before=True)  # sentence-transformers says what it tried
    assert "model.embedder='no-such-org/no-such-embedder' could not be loaded" in line


def test_serve_generator_that_cannot_be_loaded(tmp_path, tiny_corpus, hash_embedder):
    from ragtune.rag.index import build_index

    build_index(tiny_corpus, tmp_path / "index", "hash-test", 64, 8, 8, embedder=hash_embedder)
    line = error_line(ragtune(tmp_path, "serve", "index.output_dir=index", "model.embedder=hash-test",
                              "model.generator=no-such-org/no-such-model", "serve.port=1"))  # fmt: skip
    assert "model.generator='no-such-org/no-such-model' could not be loaded" in line


# --- a missing index -------------------------------------------------------------------------------


@pytest.mark.parametrize("sub", ["query", "serve", "eval"])
def test_missing_index(tmp_path, sub):
    question = {"question": "Nghỉ phép?", "reference": "14 ngày.", "sources": ["a.md"], "answerable": True}
    (tmp_path / "q.jsonl").write_text(json.dumps(question, ensure_ascii=False) + "\n", encoding="utf-8")
    (tmp_path / "adapter").mkdir()
    (tmp_path / "adapter" / "ragtune_adapter.json").write_text("{}")
    extra = ["eval.questions=q.jsonl", "finetune.output_dir=adapter"] if sub == "eval" else []
    line = error_line(ragtune(tmp_path, sub, *POSITIONAL.get(sub, []), *extra))
    assert "no published index in artifacts/index" in line and "ragtune index" in line


# --- other stage errors that used to print a traceback ----------------------------------------------


def test_eval_after_a_template_change(tmp_path, tiny_model_dir, tiny_embedder_dir, tiny_corpus):
    from sentence_transformers import SentenceTransformer

    from ragtune.rag.index import build_index

    build_index(tiny_corpus, tmp_path / "index", str(tiny_embedder_dir), 64, 8, 8,
                embedder=SentenceTransformer(str(tiny_embedder_dir), device="cpu"))  # fmt: skip
    question = {"question": "Nghỉ phép?", "reference": "14 ngày.", "sources": ["company/nghi-phep.md"], "answerable": True}
    (tmp_path / "q.jsonl").write_text(json.dumps(question, ensure_ascii=False) + "\n", encoding="utf-8")
    (tmp_path / "adapter").mkdir()
    record = {"prompt_format": {"chat_template_sha256": "0" * 64}}
    (tmp_path / "adapter" / "ragtune_adapter.json").write_text(json.dumps(record))
    proc = ragtune(tmp_path, "eval", "eval.questions=q.jsonl", "finetune.output_dir=adapter", "index.output_dir=index",
                   f"model.generator={tiny_model_dir}", f"model.embedder={tiny_embedder_dir}")  # fmt: skip
    line = error_line(proc, logged_before=True)  # the embedder and the model loaded first
    assert "different prompt format" in line and "chat_template_sha256" in line


def test_argparse_usage_errors_are_not_tracebacks(tmp_path):
    proc = ragtune(tmp_path, "query")  # the question is missing
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "question" in proc.stderr


# --- what works --------------------------------------------------------------------------------------


def test_config_prints_the_effective_config_and_writes_the_defaults(tmp_path):
    from ragtune.config import render_config

    proc = ragtune(tmp_path, "config", "serve.port=9001")
    assert proc.returncode == 0, proc.stderr
    assert "  port: 9001  # HTTP port\n" in proc.stdout
    proc = ragtune(tmp_path, "config", "--write-defaults")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "config.yaml").read_text(encoding="utf-8") == render_config()


def test_export_copies_the_merged_model(tmp_path):
    merged = tmp_path / "artifacts" / "merged"
    merged.mkdir(parents=True)
    (merged / "config.json").write_text("{}")
    (merged / "ragtune_adapter.json").write_text("{}")
    proc = ragtune(tmp_path, "export", "--out", "out/model")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "out" / "model").iterdir()) == ["config.json", "ragtune_adapter.json"]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["model"]  # no staging folder left behind


def test_export_gguf_names_the_setting_for_a_model_that_is_not_packaged(tmp_path, tiny_model_dir):
    merged = tmp_path / "artifacts" / "merged"
    merged.mkdir(parents=True)
    (merged / "ragtune_adapter.json").write_text("{}")
    proc = ragtune(tmp_path, "export", "--gguf", f"model.generator={tiny_model_dir}")
    assert proc.returncode != 0 and "model.generator" in error_line(proc) and "convert_hf_to_gguf" in error_line(proc)
    assert not (tmp_path / "artifacts" / "export").exists()


@pytest.mark.parametrize("module", ["ragtune.finetune", "ragtune.rag.index", "ragtune.rag.query", "ragtune.serve",
                                    "ragtune.evaluation", "ragtune.models", "ragtune"])  # fmt: skip
def test_every_module_entry_point_is_the_command_line(module):
    proc = subprocess.run([sys.executable, "-m", module, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: ragtune")


@pytest.mark.parametrize("module", ["finetune", "rag.index", "serve"])
def test_stage_folders_still_run_from_the_repository_root(tmp_path, module):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAGTUNE_")}
    proc = subprocess.run([sys.executable, "-m", module, "--config", str(tmp_path / "c.yaml"), "serve.port=x"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=90)  # fmt: skip
    assert error_line(proc).startswith("error: override: serve.port: ")
