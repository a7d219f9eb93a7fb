"""Verification on crafted answers: pure functions, no model."""

from ragtune.prompt import Passage
from ragtune.serve.verify import Verifier, split_sentences

LEAVE = Passage("Nhân viên chính thức được nghỉ phép năm 14 ngày mỗi năm. Đơn xin nghỉ gửi trước 3 ngày làm việc.",
                "Quy định nghỉ phép > Nghỉ phép năm", "company/nghi-phep.md")  # fmt: skip
TRAVEL = Passage("Khoản chi từ 20.000.000 đồng đến dưới 100.000.000 đồng do Giám đốc Tài chính phê duyệt. "
                 "Văn phòng mở cửa từ 8h30 đến 17:30.", "Chi phí > Phê duyệt", "company/chi-phi.docx")  # fmt: skip


def verify(answer: str, passages=(LEAVE, TRAVEL), question: str = "", pieces: int = 0) -> tuple[str, Verifier]:
    v = Verifier(list(passages), question)
    if pieces:  # as a stream: the answer arrives a few characters at a time
        chunks = [answer[i : i + pieces] for i in range(0, len(answer), pieces)]
        out = [s for c in chunks for s in v.feed(c)] + v.finish()
    else:
        out = v.check(answer)
    return "".join(out).strip(), v


def test_sentences_split_after_the_full_stop_and_keep_their_markers():
    assert split_sentences("Nghỉ 14 ngày [1]. Gửi trước 3 ngày. [1] Cuối") == ["Nghỉ 14 ngày [1]. ", "Gửi trước 3 ngày. [1] ", "Cuối"]
    assert "".join(split_sentences("Một.\nHai: 1.000.000 đồng.")) == "Một.\nHai: 1.000.000 đồng."


def test_a_supported_answer_passes_unchanged():
    answer = "Dạ, nhân viên được nghỉ 14 ngày phép năm [1]. Khoản chi 20 triệu đồng do Giám đốc Tài chính duyệt [2]."
    text, v = verify(answer)
    assert text == answer and v.verified


def test_a_wrong_number_is_caught_and_replaced_by_the_source_sentence_with_its_citation():
    text, v = verify("Dạ, nhân viên chính thức được nghỉ phép năm 21 ngày mỗi năm [1].")
    assert text == "Nhân viên chính thức được nghỉ phép năm 14 ngày mỗi năm. [1]" and v.unsupported == 1 and not v.verified


def test_the_right_number_under_the_wrong_citation_is_recited():
    text, v = verify("Văn phòng mở cửa lúc 8:30 [1].")
    assert text == "Văn phòng mở cửa lúc 8:30 [2]." and v.unsupported == 1


def test_an_invented_amount_with_no_close_source_sentence_is_dropped():
    text, v = verify("Mỗi nhân viên được nhận trợ cấp 100% mỗi năm [1]. Nghỉ phép năm là 14 ngày [1].")
    assert text == "Nghỉ phép năm là 14 ngày [1]." and v.unsupported == 1
    alone, _ = verify("Mỗi nhân viên được nhận trợ cấp 100% mỗi năm [1].")
    assert alone == ""  # nothing left: the pipeline answers the not-found phrase


def test_numbers_from_the_question_and_sentences_without_numbers_need_no_source():
    text, v = verify("Khoản 45 triệu đồng do Giám đốc Tài chính phê duyệt [2].", question="Khoản chi 45 triệu đồng ai duyệt?")
    assert v.verified and "45 triệu" in text
    assert verify("Dạ, anh/chị gửi đơn cho quản lý trực tiếp [1].")[1].verified


def test_a_stream_never_sends_an_unchecked_number_and_ends_with_the_same_answer():
    answer = "Nghỉ phép năm là 14 ngày [1]. Mỗi nhân viên được nhận trợ cấp 100% mỗi năm [1]. Gửi đơn trước 3 ngày [1]."
    whole, _ = verify(answer)
    v = Verifier([LEAVE, TRAVEL])
    pieces = [out for i in range(0, len(answer), 3) for out in v.feed(answer[i : i + 3])] + v.finish()
    streamed = "".join(pieces)
    assert whole == "Nghỉ phép năm là 14 ngày [1]. Gửi đơn trước 3 ngày [1]." == "".join(v.kept).strip()
    assert "100" not in streamed and v.unsupported == 1
    # the failed sentence's words before its number were already out: the stream goes on on a new line
    assert streamed.strip() == "Nghỉ phép năm là 14 ngày [1]. Mỗi nhân viên được nhận trợ cấp \nGửi đơn trước 3 ngày [1]."
    held = Verifier([LEAVE])
    assert held.feed("Nghỉ phép năm là 14") == ["Nghỉ phép năm là "]  # words go at once, the number waits
    assert held.feed(" ngày [1]. Xong") == ["14 ngày [1]. "] and held.finish() == ["Xong"]
    long = Verifier([LEAVE]).feed("14 " + "từ " * 100)
    assert long and len(long[0]) > 150  # a sentence that never ends is still sent, in checked parts


def test_a_whole_answer_is_checked_uncut():
    sentence = "Theo quy định, " + "nhân viên chính thức được nghỉ phép năm theo quy định của công ty " * 3 + "là 14 ngày [1]."
    assert Verifier([LEAVE]).check(sentence) == [sentence]  # a whole answer is checked sentence by sentence, uncut


def test_a_copied_sentence_cites_the_passage_that_says_it():
    """Uncited, or cited after a passage that does not say it: the sentence cites the one that does."""
    uncited = "Dạ, đơn xin nghỉ gửi trước 3 ngày làm việc."
    text, v = verify(uncited)
    assert text == "Dạ, đơn xin nghỉ gửi trước 3 ngày làm việc [1]." and v.attributed == 1 and v.verified
    text, v = verify("Dạ, khoản chi này do Giám đốc Tài chính phê duyệt [1].")  # [1] is the leave policy
    assert text == "Dạ, khoản chi này do Giám đốc Tài chính phê duyệt [2]." and v.attributed == 1
    streamed, _ = verify(uncited + " Văn phòng mở cửa từ 8h30.", pieces=4)
    assert streamed == "Dạ, đơn xin nghỉ gửi trước 3 ngày làm việc [1]. Văn phòng mở cửa từ 8h30 [2]."


def test_attribution_leaves_right_citations_loose_wording_and_list_markers_alone():
    for answer in (
        "Dạ, nhân viên được nghỉ 14 ngày phép năm [1].",  # cited to a passage that says part of it
        "Dạ, anh/chị nên hỏi quản lý trực tiếp.",  # says nothing a passage says
        "Các bước: đơn xin nghỉ gửi trước 3 ngày làm việc; 3.",  # cut at a list marker
    ):
        text, v = verify(answer)
        assert text == answer and v.attributed == 0
    text, v = verify("Đơn xin nghỉ gửi trước 3 ngày làm việc. [1]")  # the model's marker after the stop: one citation
    assert text == "Đơn xin nghỉ gửi trước 3 ngày làm việc [1]." and v.attributed == 1


def test_a_wrong_rate_from_a_table_is_replaced_by_its_row_under_the_header():
    table = Passage("| Thời điểm | Ngày thường | Ngày nghỉ |\n|---|---|---|\n| Ban ngày | 150% | 200% |\n| Ban đêm | 200% | 270% |",
                    "Làm thêm giờ", "company/lam-them.md")  # fmt: skip
    text, v = verify("Ban đêm ngày nghỉ: 300% [1].", passages=[table])
    assert text == "Thời điểm: Ban đêm; Ngày thường: 200%; Ngày nghỉ: 270% [1]" and v.unsupported == 1
