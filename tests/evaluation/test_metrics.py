import pytest

from ragtune.evaluation import metrics as M

NOT_FOUND = "Xin lỗi, tài liệu hiện có không chứa thông tin để trả lời câu hỏi này."


def test_tokens_keep_vietnamese_letters_and_nfc():
    assert M.tokens("Nghi\u0309 PHÉP, năm!") == ["nghỉ", "phép", "năm"]


def test_token_f1_by_hand():
    # pred: a b c ; ref: a b d e -> common 2, P=2/3, R=2/4, F1=2*(2/3*1/2)/(2/3+1/2)=4/7
    assert M.token_f1("a b c", "a b d e") == pytest.approx(4 / 7)
    assert M.token_f1("", "") == 1.0 and M.token_f1("x", "") == 0.0


def test_rouge_l_on_vietnamese_by_hand():
    # LCS("nghỉ phép 14 ngày", "được nghỉ phép 12 ngày") = nghỉ phép ngày = 3; P=3/4, R=3/5 -> F=2/3*... = 0.6667
    assert M.rouge_l("nghỉ phép 14 ngày", "được nghỉ phép 12 ngày") == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert M.rouge_l("hoàn toàn khác", "nghỉ phép") == 0.0


def test_exact_match_ignores_case_and_punctuation():
    assert M.exact_match("3 cm x 4 cm.", "3 CM X 4 cm") == 1.0
    assert M.exact_match("3 cm", "4 cm") == 0.0


def test_bleu_perfect_and_zero():
    assert M.bleu(["nghỉ phép năm mười bốn ngày làm việc"], ["nghỉ phép năm mười bốn ngày làm việc"]) == pytest.approx(100.0)
    assert M.bleu(["a b c d"], ["e f g h"]) == pytest.approx(0.0)


def test_refusal_detection():
    assert M.is_refusal("Dạ. " + NOT_FOUND.upper(), NOT_FOUND)
    assert not M.is_refusal("Nghỉ phép 14 ngày [1].", NOT_FOUND)


def test_citation_scores_by_hand():
    sources = ["company/a.md", "laws/b.md", "company/a.md"]
    # cites [1] and [2]: docs a, b; gold {a} -> P=1/2, R=1
    assert M.citation_scores("x [1] y [2].", sources, ["company/a.md"]) == (0.5, 1.0)
    # a citation past the sources counts as wrong
    assert M.citation_scores("x [7].", sources, ["company/a.md"]) == (0.0, 0.0)
    assert M.citation_scores("không có trích dẫn", sources, ["company/a.md"]) == (0.0, 0.0)
    assert M.citation_scores(NOT_FOUND, sources, []) == (1.0, 1.0)
    assert M.f1(0.5, 1.0) == pytest.approx(2 / 3)


def test_language_adherence():
    assert M.is_vietnamese("Nhân viên được nghỉ phép mười bốn ngày mỗi năm.")
    assert not M.is_vietnamese("Employees get fourteen days of annual leave.")
    assert M.language_adherence("Nghỉ phép mấy ngày?", "Dạ, mười bốn ngày ạ.") == 1.0
    assert M.language_adherence("Nghỉ phép mấy ngày?", "Fourteen days.") == 0.0


def test_faithfulness_share_of_supported_tokens():
    assert M.faithfulness("nghỉ 14 ngày [1]", "Nhân viên nghỉ 14 ngày") == 1.0
    assert M.faithfulness("nghỉ 20 tuần", "nghỉ 14 ngày") == pytest.approx(1 / 3)


def test_retrieval_recall_and_mrr_by_hand():
    retrieved = ["x", "gold2", "y", "gold1"]
    assert M.recall_at_k(retrieved, ["gold1", "gold2"], 2) == 0.5
    assert M.recall_at_k(retrieved, ["gold1", "gold2"], 4) == 1.0
    assert M.mrr_at_k(retrieved, ["gold1", "gold2"], 4) == 0.5
    assert M.mrr_at_k(retrieved, ["z"], 4) == 0.0


def test_bootstrap_interval_contains_the_mean_and_is_seeded():
    values = [0, 1] * 50
    lo, hi = M.bootstrap_ci(values)
    assert lo < 0.5 < hi and (lo, hi) == M.bootstrap_ci(values)
    assert M.bootstrap_ci([1.0] * 10) == (1.0, 1.0)


def test_balanced_refusal_accuracy_by_hand():
    answerable = [True] * 8 + [False] * 2
    never_refuses = [False] * 10
    assert M.balanced_refusal_accuracy(never_refuses, answerable) == 0.5  # plain accuracy would say 0.8
    # refuses 1 of 2 unanswerable and 2 of 8 answerable: (1/2 + 6/8) / 2
    refused = [True, True] + [False] * 6 + [True, False]
    assert M.balanced_refusal_accuracy(refused, answerable) == pytest.approx((0.5 + 0.75) / 2)
    assert M.balanced_refusal_accuracy([False, False], [True, True]) == 1.0


def test_bootstrap_of_a_custom_statistic():
    rows = [(True, False)] * 5 + [(False, True)] * 5
    lo, hi = M.bootstrap_ci(rows, statistic=lambda rs: M.balanced_refusal_accuracy([r[0] for r in rs], [r[1] for r in rs]))
    assert lo == hi == 1.0


def test_facts_must_all_be_stated_in_some_accepted_wording():
    facts = [("14 ngày",), ("NS-03", "mẫu NS 03")]
    assert M.facts_correct("Dạ, được nghỉ 14 ngày, gửi đơn theo mẫu NS-03 [1].", facts) == 1.0
    assert M.facts_correct("Dạ, được nghỉ 14 ngày [1].", facts) == 0.0  # one fact missing
    assert M.facts_correct("Dạ, được nghỉ 12 ngày, mẫu ns-03 [1].", facts) == 0.0  # the wrong number
    money = [("20.000.000 đồng",)]
    assert M.facts_correct("Từ 20 triệu đồng trở lên [2].", money) == 1.0  # the same amount written otherwise
    assert M.facts_correct("Từ 2 triệu đồng [2].", money) == 0.0
    assert M.facts_correct("Mẫu số 3 [1].", [("NS-03",)]) == 0.0  # a code is not a bare number
    assert M.facts_correct("Lãi suất 120% một năm.", [("20%",)]) == 0.0 and M.facts_correct("Tối đa 20%.", [("20%",)]) == 1.0


def test_the_gold_section_must_be_the_source_a_citation_points_at():
    sources = [("laws/bo-luat-dan-su.md", "Bộ luật Dân sự > Điều 451. Mua trả chậm"),
               ("laws/bo-luat-dan-su.md", "Bộ luật Dân sự > Điều 452. Mua thử")]  # fmt: skip
    gold = (["laws/bo-luat-dan-su.md"], "Bộ luật Dân sự > Điều 452. Mua thử")
    assert M.gold_section_cited("Bên mua được coi là đã chấp nhận mua [2].", sources, *gold) == 1.0
    assert M.gold_section_cited("Bên mua được coi là đã chấp nhận mua [1].", sources, *gold) == 0.0  # the neighbour
    assert M.gold_section_cited("Bên mua được coi là đã chấp nhận mua.", sources, *gold) == 0.0  # uncited
    assert M.gold_section_cited("... [9].", sources, *gold) == 0.0
