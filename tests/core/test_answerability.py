"""The refusal threshold: chosen on validation scores within the false-refusal budget; the curve; the tokens."""

from types import SimpleNamespace

import pytest

from ragtune.answerability import COVERAGE_UNIT, calibrate, curve, rates, refusal_token_ids
from ragtune.config import DEFAULT_NOT_FOUND, DEFAULT_NOT_FOUND_EN, load_config

ANSWERABLE = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.9]  # one answerable row scores high
UNANSWERABLE = [0.35, 0.55, 0.7, 0.8, 0.95]


def test_calibrate_picks_the_lowest_threshold_within_the_false_refusal_budget():
    scores, unanswerable = ANSWERABLE + UNANSWERABLE, [False] * 10 + [True] * 5
    strict = calibrate(scores, unanswerable, 0.0)
    assert strict["threshold"] > 0.9 and strict["false_refusal"] == 0 and strict["refusal_recall"] == pytest.approx(0.2)
    loose = calibrate(scores, unanswerable, 0.1)  # one answerable row of ten may be refused
    assert 0.6 < loose["threshold"] <= 0.7 and loose["false_refusal"] == pytest.approx(0.1)
    assert loose["refusal_recall"] == pytest.approx(0.6)
    assert rates(scores, unanswerable, loose["threshold"]) == (pytest.approx(0.6), pytest.approx(0.9))


def test_the_curve_runs_from_refusing_everything_to_answering_everything():
    points = curve(ANSWERABLE + UNANSWERABLE, [False] * 10 + [True] * 5)
    assert points[0] == {"threshold": 0.01, "refusal_recall": 1.0, "answer_rate": 0.0}
    assert points[-1]["refusal_recall"] == 0.0 and points[-1]["answer_rate"] == 1.0
    recalls = [p["refusal_recall"] for p in points]
    assert recalls == sorted(recalls, reverse=True)


def test_refusal_tokens_are_the_first_token_of_each_phrase(tiny_tokenizer):
    ids = refusal_token_ids(tiny_tokenizer, [DEFAULT_NOT_FOUND, DEFAULT_NOT_FOUND_EN, DEFAULT_NOT_FOUND, ""])
    first = [tiny_tokenizer(p, add_special_tokens=False)["input_ids"][0] for p in (DEFAULT_NOT_FOUND, DEFAULT_NOT_FOUND_EN)]
    assert ids == list(dict.fromkeys(first))


@pytest.mark.parametrize("score", ["coverage", "refusal_score"])
@pytest.mark.parametrize(("setting", "expected"), [("auto", 0.42), ("none", None), (0.3, 0.3)])
def test_the_server_reads_each_threshold_from_the_adapter_unless_configured(score, setting, expected, tmp_path):
    from ragtune.serve.services import Services

    key = "refusal_threshold" if score == "refusal_score" else "coverage_threshold"
    cfg = load_config(tmp_path / "none.yaml", [f"serve.{key}={setting}"], env={})
    lm = SimpleNamespace(record={"answerability": {score: {"threshold": 0.42, "unit": COVERAGE_UNIT}}})
    assert Services(cfg, lm, retriever=None).threshold(score) == expected
    assert Services(load_config(tmp_path / "none.yaml", env={}), SimpleNamespace(record=None), None).threshold(score) is None


def test_uncovered_is_the_question_weight_no_single_passage_holds():
    from ragtune.rag.lexical import TermWeights, uncovered

    corpus = ["Nhân viên được trợ cấp ăn trưa 730.000 đồng mỗi tháng.", "Nhân viên được nghỉ phép năm 14 ngày.",
              "Nhân viên đi công tác được trợ cấp lưu trú.", "Nhân viên thực tập được hướng dẫn bởi người đồng hành."]  # fmt: skip
    weights = TermWeights.of(corpus)
    assert weights.weight("thực") > weights.weight("nhân") and weights.weight("shopee") > weights.weight("thực")
    asked = "Nhân viên được trợ cấp ăn trưa bao nhiêu?"
    near_miss = "Nhân viên thực tập được trợ cấp ăn trưa bao nhiêu?"  # the documents speak of both, never together
    assert uncovered(asked, corpus[:1], weights) < uncovered(near_miss, corpus, weights)
    assert uncovered("trợ cấp ăn trưa", corpus, weights) == 0.0 and uncovered("", corpus, weights) == 0.0
    assert uncovered(asked, [], weights) == 1.0


def test_the_words_that_make_a_question_are_not_counted_as_uncovered():
    from ragtune.rag.lexical import TermWeights, uncovered

    corpus = ["Nhân viên được trợ cấp ăn trưa 730.000 đồng mỗi tháng.", "Nhân viên được nghỉ phép năm 14 ngày.",
              "Employees get 14 days of annual leave.", "Nhân viên thực tập được hướng dẫn bởi người đồng hành."]  # fmt: skip
    weights = TermWeights.of(corpus)
    # every word of what is asked is in the answering sentence; 'bao nhiêu', 'mình', 'how many', 'do' never are
    assert uncovered("Mình được trợ cấp ăn trưa bao nhiêu mỗi tháng vậy?", corpus[:1], weights) == 0.0
    assert uncovered("How many days of annual leave do employees get?", corpus[2:3], weights) == 0.0
    # what the question asks about still counts: the documents never say 'thực tập' next to the allowance
    assert uncovered("Thực tập sinh được trợ cấp ăn trưa bao nhiêu?", corpus[:1], weights) > 0.3


def test_coverage_reads_a_table_row_under_its_header():
    from ragtune.answerability import coverage_units
    from ragtune.prompt import Passage
    from ragtune.rag.lexical import TermWeights, uncovered

    rates = Passage("| Thời điểm làm thêm | Ban ngày | Ban đêm |\n|---|---|---|\n| Ngày thường | 150% | 210% |\n"
                    "| Ngày nghỉ hằng tuần | 200% | 270% |", "Làm thêm giờ > Tiền lương", "company/lam-them.md")  # fmt: skip
    weights = TermWeights.of([rates.text, "Nhân viên được nghỉ phép năm 14 ngày.", "Giờ làm việc từ 8:30."])
    asked = "Làm thêm ban đêm vào ngày nghỉ hằng tuần được bao nhiêu phần trăm?"
    assert "Làm thêm giờ > Tiền lương\nThời điểm làm thêm: Ngày nghỉ hằng tuần; Ban ngày: 200%; Ban đêm: 270%" in coverage_units(asked, [rates])
    raw_rows = [f"{rates.title}\n{row}" for row in rates.text.splitlines()[2:]]  # 'ban đêm' is in the header, not the row
    assert uncovered(asked, coverage_units(asked, [rates]), weights) < uncovered(asked, raw_rows, weights) - 0.1


@pytest.mark.parametrize("unit", [None, "sentence"])  # whole passages; sentences with question words counted
def test_a_coverage_threshold_calibrated_on_another_score_is_not_applied(unit, tmp_path):
    from ragtune.serve.services import Services

    cfg = load_config(tmp_path / "none.yaml", env={})
    coverage = {"threshold": 0.42} | ({"unit": unit} if unit else {})
    older = SimpleNamespace(record={"answerability": {"coverage": coverage, "refusal_score": {"threshold": 0.7}}})
    assert Services(cfg, older, retriever=None).threshold("coverage") is None
    assert Services(cfg, older, retriever=None).threshold("refusal_score") == 0.7


def test_coverage_compares_sentences_and_a_quantity_question_only_those_stating_one():
    from ragtune.answerability import coverage_units
    from ragtune.prompt import Passage
    from ragtune.rag.lexical import TermWeights, uncovered

    fees = Passage("Phí trọng tài do trung tâm trọng tài quy định. Trung tâm trọng tài có 5 trọng tài viên.",
                   "Luật Trọng tài > Điều 10. Phí trọng tài", "laws/trong-tai.md")  # fmt: skip
    lunch = Passage("Nhân viên được trợ cấp ăn trưa 40.000 đồng mỗi ngày. Thực tập sinh được hướng dẫn bởi người "
                    "đồng hành.", "Phụ cấp", "company/phu-cap.md")  # fmt: skip
    weights = TermWeights.of([fees.text, lunch.text, "Nhân viên được nghỉ phép năm 14 ngày."])
    assert coverage_units("Phí trọng tài được quy định thế nào?", [fees]) == [
        "Luật Trọng tài > Điều 10. Phí trọng tài\nPhí trọng tài do trung tâm trọng tài quy định.",
        "Luật Trọng tài > Điều 10. Phí trọng tài\nTrung tâm trọng tài có 5 trọng tài viên.",
    ]
    # asked how much: the only sentence with a number is about something else, so the fee is not covered
    fee = "Phí trọng tài là bao nhiêu tiền?"
    assert coverage_units(fee, [fees]) == ["Luật Trọng tài > Điều 10. Phí trọng tài\nTrung tâm trọng tài có 5 trọng tài viên."]
    assert uncovered(fee, coverage_units(fee, [fees]), weights) > uncovered("Phí trọng tài quy định thế nào?", coverage_units("Phí trọng tài quy định thế nào?", [fees]), weights)
    # the passage says both "thực tập sinh" and "trợ cấp ăn trưa", but no sentence says them together
    asked, near_miss = "Nhân viên được trợ cấp ăn trưa bao nhiêu?", "Thực tập sinh được trợ cấp ăn trưa bao nhiêu?"
    assert uncovered(asked, coverage_units(asked, [lunch]), weights) == 0.0
    assert uncovered(near_miss, coverage_units(near_miss, [lunch]), weights) >= 0.4
    assert uncovered(near_miss, [f"{lunch.title}\n{lunch.text}"], weights) == 0.0  # whole passages: covered


@pytest.mark.parametrize("value", ["off", "no", "1.5", "-0.1"])
def test_a_threshold_yaml_would_misread_is_refused_with_the_valid_values(value, tmp_path):
    from ragtune.config import ConfigError

    with pytest.raises(ConfigError, match="'auto', 'none' or a probability"):
        load_config(tmp_path / "none.yaml", [f"serve.refusal_threshold={value}"], env={})
