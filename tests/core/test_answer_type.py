"""Expected answer type: which questions ask for a quantity, and which sentences state one."""

import pytest

from ragtune.answer_type import asks_quantity, holds_quantity


@pytest.mark.parametrize("question", [
    "Phí trọng tài cho một vụ tranh chấp thương mại là bao nhiêu tiền?",
    "Tòa án giải quyết thuận tình ly hôn trong thời hạn bao lâu?",
    "Nhân viên được nghỉ phép mấy ngày mỗi năm?",
    "How much is the court fee for a first-instance administrative lawsuit?",
    "How many days of sick leave do I get?",
    "How long is the probation period for a manager?",
])  # fmt: skip
def test_questions_that_ask_for_a_quantity(question):
    assert asks_quantity(question)


@pytest.mark.parametrize("question", [
    "Người trực tiếp nuôi con không được làm gì?",
    "Báo cáo quấy rối có thể ẩn danh không?",
    "Can employees bring their children to the office at weekends?",
    "Điều 48 Luật Viên chức nói gì?",
])  # fmt: skip
def test_other_questions_are_not_typed(question):
    assert not asks_quantity(question)


@pytest.mark.parametrize("sentence", [
    "Mức phạt từ 500.000 đồng đến 1.000.000 đồng.",
    "Thời gian thử việc không quá 60 ngày.",
    "Người lao động được trợ cấp một nửa tháng tiền lương cho mỗi năm làm việc.",
    "Thời hạn giải quyết là ba mươi ngày kể từ ngày nhận đơn.",
    "The allowance is 20% of the base salary.",
    "Employees get two weeks of paid leave.",
])  # fmt: skip
def test_sentences_that_state_a_quantity(sentence):
    assert holds_quantity(sentence)


@pytest.mark.parametrize("sentence", [
    "Việc xử phạt thực hiện theo quy định tại khoản 2 Điều 5 của Luật này.",
    "1. Tổ chức trọng tài thu phí trọng tài theo quy định của pháp luật.",
    "See Article 12 and Section 3.1 for the procedure.",
    "Luật số 54/2010/QH12 quy định về trọng tài thương mại.",
    "Chủ nuôi phải tiêm phòng cho chó theo hướng dẫn của cơ quan thú y.",
    "Theo tài liệu [2], nhân viên được nghỉ khi có lý do chính đáng [3].",
])  # fmt: skip
def test_references_and_list_markers_are_not_quantities(sentence):
    assert not holds_quantity(sentence)
