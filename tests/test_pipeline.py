"""The three stages joined on the tiny model: finetune -> adapter + merged, index, /ask answers."""

import json

from fastapi.testclient import TestClient

from ragtune.artifacts import ADAPTER_RECORD
from ragtune.config import load_config
from ragtune.evaluation.evaluate import run as evaluate_run
from ragtune.finetune.__main__ import main as finetune_main
from ragtune.rag.index import build_index
from ragtune.rag.retrieve import Retriever
from ragtune.serve.app import create_app
from ragtune.serve.generator import load_for_serving
from ragtune.serve.services import Services

ROWS = [
    {"instruction": "Nghỉ phép năm bao nhiêu ngày?", "output": "Dạ, 14 ngày [1].",
     "context": [{"doc_id": "company/nghi-phep.md", "title": "Nghỉ phép", "text": "Nghỉ phép năm 14 ngày."}]},
    {"instruction": "Giờ làm việc?", "output": "Dạ, từ 8 giờ 30 [1].", "context": ["Văn phòng mở 8 giờ 30."]},
    {"messages": [{"role": "user", "content": "Bạn là ai?"}, {"role": "assistant", "content": "Trợ lý nội bộ."}]},
    {"instruction": "Giá cổ phiếu?", "output": "Xin lỗi, tài liệu hiện có không chứa thông tin để trả lời câu hỏi này."},
] * 3


def test_finetune_index_and_ask_on_the_tiny_model(tmp_path, tiny_model_dir, tiny_corpus, hash_embedder):
    data = tmp_path / "train.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS) + "\n", encoding="utf-8")
    overrides = [
        f"model.generator={tiny_model_dir}",
        f"finetune.instructions={data}",
        f"finetune.output_dir={tmp_path}/adapter",
        f"finetune.merged_dir={tmp_path}/merged",
        f"index.output_dir={tmp_path}/index",
        "finetune.max_steps=3",
        "finetune.batch_size=2",
        "finetune.learning_rate=0.01",
        "finetune.val_fraction=0.25",
        "model.embedder=hash-test",  # the name the fake embedder's index is recorded under
        "finetune.retrieval_context=false",  # the fake embedder cannot be loaded by name (tests/finetune/test_train.py covers it)
    ]
    assert finetune_main(["--config", str(tmp_path / "none.yaml"), *overrides]) == 0

    adapter = tmp_path / "adapter"
    assert (adapter / "adapter_model.safetensors").exists() and (adapter / "adapter_config.json").exists()
    assert not list(adapter.glob("model*.safetensors"))  # only adapter weights
    record = json.loads((adapter / ADAPTER_RECORD).read_text())
    assert record["prompt_format"]["stop_tokens"] == ["<end_of_turn>", "<eos>", "<start_of_turn>"]
    threshold = record["answerability"]["refusal_score"]["threshold"]  # calibrated on the validation rows
    assert 0 <= threshold <= 1 and record["answerability"]["refusal_score"]["rows_answerable"] > 0
    report = json.loads((adapter / "train_report.json").read_text())
    assert report["steps"] == 3 and report["val_loss"] is not None and report["data"]["dropped"] == {"duplicate": 8}
    assert (tmp_path / "merged" / "model.safetensors").exists()
    assert not list(tmp_path.glob(".adapter.tmp-*")) and not list(tmp_path.glob(".merged.tmp-*"))

    # thresholds off for this request: the tiny model's calibration is noise, and the answer must be generated
    cfg = load_config(None, [*overrides, "serve.refusal_threshold=none", "serve.coverage_threshold=none"], env={})
    build_index(tiny_corpus, cfg.index.output_dir, "hash-test", 64, 8, 8, embedder=hash_embedder)
    lm = load_for_serving(cfg.model.generator, cfg.model.models_dir, adapter, tmp_path / "merged", "cpu", cfg.model.system_prompt)
    assert lm.name.endswith("+lora(merged)")
    services = Services(cfg, lm, Retriever(cfg.index.output_dir, "hash-test", embedder=hash_embedder))
    with TestClient(create_app(cfg, services)) as client:
        assert client.get("/health").json() == {"status": "ok"}
        r = client.post("/ask", json={"question": "Nghỉ phép năm bao nhiêu ngày?", "max_tokens": 5, "top_k": 2})
        assert r.status_code == 200, r.text
        body = r.json()
        assert isinstance(body["answer"], str)
        assert [s["n"] for s in body["sources"]] == [1, 2]
        assert body["sources"][0]["doc_id"] == "company/nghi-phep.md"
        assert 0 < body["usage"]["completion_tokens"] <= 5 and body["usage"]["prompt_tokens"] > 10
        assert body["index_version"] == services.retriever.version
        # the engine scored the first token against the calibrated threshold, the pipeline the question's coverage
        assert 0 <= body["answerability"]["refusal_score"] <= 1 and 0 <= body["answerability"]["uncovered"] <= 1
        assert client.post("/ask", json={"question": ""}).status_code == 422

    questions = tmp_path / "eval.jsonl"
    questions.write_text(
        "\n".join(
            json.dumps(r, ensure_ascii=False)
            for r in [
                {"question": "Nghỉ phép năm mấy ngày?", "reference": "14 ngày [1].", "sources": ["company/nghi-phep.md"], "answerable": True,
                 "facts": ["14 ngày"], "section": "Quy định nghỉ phép > Nghỉ phép năm"},
                {"question": "Giá cổ phiếu hôm nay?", "reference": cfg.model.not_found_phrase, "sources": [], "answerable": False},
            ]
        ),
        encoding="utf-8",
    )
    eval_cfg = load_config(None, [*overrides, f"eval.questions={questions}", f"eval.output_dir={tmp_path}/eval", "eval.max_new_tokens=4"], env={})
    assert evaluate_run(eval_cfg, embedder=hash_embedder) == 0
    report = json.loads((tmp_path / "eval" / "report.json").read_text())
    assert set(report["summary"]) == {"base", "base+rag", "finetuned", "finetuned+rag"}
    assert report["questions"] == 2 and report["retrieval"]["recall"] == 1.0
    for system in report["summary"].values():
        assert 0.0 <= system["mean"]["rouge_l"] <= 1.0 and len(system["ci95"]["rouge_l"]) == 2
    assert "| rouge_l |" in (tmp_path / "eval" / "report.md").read_text()
    served = report["served"]["summary"]  # the served system answered every question through the pipeline
    assert served["fact_accuracy"]["n"] == 1 and served["gold_section_citation"]["n"] == 1
    assert served["refusal_recall"]["n"] == 1 and served["false_refusal_rate"]["n"] == 1 and served["latency_s"]["n"] == 2
    assert [a["question"] for a in report["served"]["answers"]] == ["Nghỉ phép năm mấy ngày?", "Giá cổ phiếu hôm nay?"]
    assert "| fact_accuracy |" in (tmp_path / "eval" / "report.md").read_text()
    assert (tmp_path / "eval" / "report.png").read_bytes()[:4] == b"\x89PNG"
    curves = report["served"]["refusal_curve"]
    assert curves["refusal_score"]["threshold"] == threshold and curves["coverage"]["points"][-1]["answer_rate"] == 1.0
    assert curves["coverage"]["questions"] == 2  # every question has a coverage score
    assert (tmp_path / "eval" / "refusal_curve.png").read_bytes()[:4] == b"\x89PNG"
    assert "### Answerability thresholds" in (tmp_path / "eval" / "report.md").read_text()
