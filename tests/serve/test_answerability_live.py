"""An unanswerable near-miss question gets the not-found phrase from the real default models, as served.

Integration: the packaged embedder builds a real index of two handbook sections, the server loads the
generator as it would (the fine-tuned model where `make finetune` has produced one, else the base), and
the answerability gate runs on the real corpus weights. The coverage threshold is the one `make finetune`
calibrated where there is an adapter record with a threshold on today's coverage score, else the value this
project's default calibration gave (0.66).
"""

import pytest
from fastapi.testclient import TestClient

from ragtune.answerability import COVERAGE_UNIT
from ragtune.config import DEFAULT_NOT_FOUND, load_config
from ragtune.serve.app import create_app
from ragtune.serve.services import Services

LUNCH = ("# Phúc lợi\n\n## Trợ cấp ăn trưa\n\nNhân viên chính thức được trợ cấp ăn trưa 730.000 đồng mỗi tháng, "
         "trả cùng kỳ lương ngày 5 hằng tháng.\n")  # fmt: skip
LEAVE = "# Nghỉ phép\n\n## Nghỉ phép năm\n\nNhân viên chính thức được nghỉ phép năm 14 ngày làm việc mỗi năm.\n"


@pytest.mark.integration
def test_a_near_miss_question_is_declined_and_an_answerable_one_reaches_the_model(tmp_path, real_served):
    documents = {"phuc-loi.md": LUNCH, "nghi-phep.md": LEAVE}
    cfg, lm, retriever = real_served(documents, [])
    coverage = (lm.record or {}).get("answerability", {}).get("coverage", {})
    if coverage.get("unit") != COVERAGE_UNIT:  # a fresh clone (or an adapter calibrated on an older score)
        cfg = load_config("config.yaml", [f"index.output_dir={tmp_path}/index", "serve.reload_poll_s=0",
                                          "serve.coverage_threshold=0.66"], env={})  # fmt: skip
    services = Services(cfg, lm, retriever)
    with TestClient(create_app(cfg, services)) as client:
        # the documents speak of lunch allowances for staff, never of parking fees for interns
        near_miss = client.post("/ask", json={"question": "Thực tập sinh được hỗ trợ tiền gửi xe ô tô bao nhiêu mỗi tháng?"}).json()
        assert near_miss["answer"] == DEFAULT_NOT_FOUND, near_miss
        assert near_miss["usage"]["completion_tokens"] == 0
        assert near_miss["answerability"]["uncovered"] >= services.pipeline.coverage_threshold
        assert near_miss["sources"]  # retrieval found passages: the gate, not an empty search, declined it
        asked = client.post("/ask", json={"question": "Nhân viên chính thức được trợ cấp ăn trưa bao nhiêu mỗi tháng?",
                                          "max_tokens": 48}).json()  # fmt: skip
        threshold = services.pipeline.coverage_threshold
        assert asked["usage"]["completion_tokens"] > 0 and asked["answerability"]["uncovered"] < threshold, asked
