import pytest

from ragtune.evidence import MAX_WORDS, answer_match, select, sentences, statements
from ragtune.prompt import (
    EVIDENCE_HEADER,
    Passage,
    PromptFormatMismatch,
    build_messages,
    check_prompt_format,
    prompt_format_record,
)

LEAVE = Passage(
    "Nhân viên chính thức có 14 ngày phép năm. Nhân viên thử việc không có phép năm. "
    "Phép chưa dùng được chuyển sang năm sau tối đa 5 ngày và phải dùng trước ngày 31/3; quá hạn thì bị hủy.",
    "Quy định nghỉ phép > Nghỉ phép năm",
)
HOURS = Passage("Giờ làm việc từ 8:30 đến 17:30, nghỉ trưa một giờ.\n- Đi muộn quá 4 lần trong tháng: thư nhắc nhở.", "Nội quy > Giờ làm việc")


def test_sentences_split_at_stops_and_lines_not_at_semicolons():
    assert sentences("Một. Hai câu!\n- Ba; vẫn ba\n\nBốn?") == ["Một.", "Hai câu!", "- Ba; vẫn ba", "Bốn?"]


def test_a_hard_wrapped_sentence_is_one_sentence():  # .txt files and PDF text break lines inside sentences
    wrapped = "Nếu không tham gia được đợt khám bù, nhân viên có thể tự\nkhám tại cơ sở khác và được hoàn tối đa\n1.500.000 đồng."
    assert sentences(wrapped) == ["Nếu không tham gia được đợt khám bù, nhân viên có thể tự khám tại cơ sở khác và được hoàn tối đa "
                                  "1.500.000 đồng."]
    listed = "Quy định\nNhân viên nghỉ 14 ngày.\n- đi muộn: nhắc nhở\nHồ sơ gồm\n1. đơn\n2) giấy khám"  # headings, list items
    assert sentences(listed)[:4] == ["Quy định", "Nhân viên nghỉ 14 ngày.", "- đi muộn: nhắc nhở", "Hồ sơ gồm"]
    assert sentences(listed)[-1] == "2) giấy khám"


OVERTIME = Passage(
    "Tiền làm thêm được tính trên đơn giá tiền lương giờ:\n\n"
    "| Thời điểm làm thêm | Ban ngày | Ban đêm (22:00–6:00) |\n|---|:---:|---|\n"
    "| Ngày thường | 150% | 210% |\n| Ngày nghỉ hằng tuần | 200% | 270% |\n\nVới ngày lễ, mức 300% chưa gồm lương ngày lễ.",
    "Làm thêm giờ > Tiền lương làm thêm giờ",
)


def test_a_table_row_is_one_statement_under_its_header():
    assert statements(OVERTIME.text) == [
        "Tiền làm thêm được tính trên đơn giá tiền lương giờ:",
        "Thời điểm làm thêm: Ngày thường; Ban ngày: 150%; Ban đêm (22:00–6:00): 210%",
        "Thời điểm làm thêm: Ngày nghỉ hằng tuần; Ban ngày: 200%; Ban đêm (22:00–6:00): 270%",
        "Với ngày lễ, mức 300% chưa gồm lương ngày lễ.",
    ]
    # an empty cell states nothing; a cell past the header's columns is kept, unnamed
    assert statements("| Khu vực | Nhân viên | Quản lý |\n|---|---|---|\n|  | 300.000 đồng | |\n| Khác | 1 | 2 | 3 |") == [
        "Nhân viên: 300.000 đồng", "Khu vực: Khác; Nhân viên: 1; Quản lý: 2; 3"]
    # a chunk cut inside a table has rows without their header: they stay as they are
    assert statements("| Ngày lễ | 300% | 390% |\nHết.") == ["| Ngày lễ | 300% | 390% |", "Hết."]


def test_a_question_on_a_column_quotes_the_row_with_that_column_named():
    best = select("Làm thêm ban đêm vào ngày nghỉ hằng tuần được tính bao nhiêu phần trăm lương?", [OVERTIME], 1)
    assert best[0].text == "Thời điểm làm thêm: Ngày nghỉ hằng tuần; Ban ngày: 200%; Ban đêm (22:00–6:00): 270%"


def test_the_sentence_holding_the_rare_question_words_ranks_first():
    best = select("Phép chưa dùng có được chuyển sang năm sau không?", [HOURS, LEAVE], 2)
    assert best[0].n == 2 and best[0].text.startswith("Phép chưa dùng được chuyển sang năm sau tối đa 5 ngày")
    # 'phép' and 'năm' are in every leave sentence: the words only the answering sentence holds decide
    assert best[0].score > best[1].score


def test_the_passage_title_counts_for_its_sentences():
    best = select("Đi muộn nhiều lần thì sao, theo nội quy giờ làm việc?", [LEAVE, HOURS], 1)
    assert [(e.n, e.text) for e in best] == [(2, "- Đi muộn quá 4 lần trong tháng: thư nhắc nhở.")]


def test_a_question_asking_a_quantity_quotes_first_the_sentence_on_its_subject_that_states_one():
    review = Passage("Đề xuất thăng chức được hội đồng xem xét trong mỗi kỳ đánh giá. Hội đồng trả lời đề xuất thăng "
                     "chức trong vòng 10 ngày làm việc.", "Quy chế > Thăng chức")  # fmt: skip
    plain = select("Đề xuất thăng chức được hội đồng xem xét như thế nào?", [review], 2)
    asked = select("Hội đồng xem xét đề xuất thăng chức trong bao lâu?", [review], 2)
    assert plain[0].text.startswith("Đề xuất thăng chức được hội đồng xem xét")
    assert asked[0].text.startswith("Hội đồng trả lời") and asked[0].score < asked[1].score  # the number first
    # a sentence off the subject does not move up for stating a number
    off = select("Hội đồng xem xét đề xuất thăng chức trong bao lâu?", [HOURS, review], 3)
    assert off[-1].n == 1


def test_an_answer_is_scored_by_its_best_sentence_on_the_quotes_weights():
    question = "Phép chưa dùng có được chuyển sang năm sau không?"
    right, best = answer_match(question, [HOURS, LEAVE], "Dạ, được. Phép chưa dùng được chuyển sang năm sau tối đa 5 ngày [2].")
    assert best.n == 2 and best.score == select(question, [HOURS, LEAVE], 1)[0].score
    assert right == pytest.approx(best.score)  # the answering sentence, its citation aside, holds what the best quote holds
    neighbour, _ = answer_match(question, [HOURS, LEAVE], "Dạ, nhân viên chính thức có 14 ngày phép năm [2].")
    assert 0 < neighbour < 0.5 * best.score  # the right passage's neighbouring sentence holds little of the question
    assert answer_match("Wifi password?", [LEAVE], "Dạ, không rõ.") == (0.0, None)


def test_nothing_is_quoted_without_a_shared_word_or_without_passages():
    assert select("Wifi password?", [LEAVE, HOURS], 3) == []
    assert select("Phép năm?", [], 3) == []
    assert select("Phép năm?", [LEAVE], 0) == []


def test_the_prompt_quotes_the_best_sentences_with_their_passage_numbers_before_the_question():
    [user] = build_messages("Nhân viên thử việc có phép năm không?", [HOURS, LEAVE])
    content = user["content"]
    context, rest = content.split(f"\n\n{EVIDENCE_HEADER}\n")
    assert context.startswith("Tài liệu:\n[1] Nội quy > Giờ làm việc") and "[2] Quy định nghỉ phép" in context
    quoted, question = rest.split("\n\n")
    assert quoted.splitlines()[0] == "[2] Nhân viên thử việc không có phép năm."
    assert question == "Câu hỏi: Nhân viên thử việc có phép năm không?"


def test_a_follow_up_is_matched_together_with_the_previous_user_turn():
    history = [{"role": "user", "content": "Phép chưa dùng hết thì sao?"}, {"role": "assistant", "content": "Dạ [1]."}]
    alone = build_messages("Cụ thể?", [HOURS, LEAVE])[-1]["content"]
    followed = build_messages("Cụ thể?", [HOURS, LEAVE], history)[-1]["content"]
    assert EVIDENCE_HEADER not in alone  # nothing in the passages matches the follow-up alone
    assert "[2] Phép chưa dùng được chuyển sang năm sau tối đa 5 ngày" in followed.split(EVIDENCE_HEADER)[1]


def test_an_adapter_trained_without_quoted_evidence_is_refused(tiny_tokenizer):
    old = {k: v for k, v in prompt_format_record(tiny_tokenizer, "SYS").items() if not k.startswith("evidence")}
    with pytest.raises(PromptFormatMismatch, match="evidence_header"):
        check_prompt_format(old, tiny_tokenizer, "SYS")


def test_a_long_sentence_is_quoted_as_its_best_matching_window():
    filler = " ".join(["điều khoản chung áp dụng"] * 30)  # 120 words that match nothing
    long = Passage(f"{filler} người lao động nữ nghỉ thai sản sáu tháng {filler}.", "Bộ luật Lao động > Điều 139")
    [best] = select("Lao động nữ nghỉ thai sản bao lâu?", [long], 1)
    words = best.text.split()
    assert words[0] == "…" and words[-1] == "…" and len(words) == MAX_WORDS + 2
    assert "nghỉ thai sản sáu tháng" in best.text
