import json

import pytest

from ragtune.finetune.data import (
    IGNORE_INDEX,
    DataError,
    DataReport,
    EvalDataError,
    Example,
    Question,
    clean_text,
    parse_row,
    read_examples,
    read_questions,
    split,
    tokenize_all,
    tokenize_example,
)
from ragtune.prompt import Passage


def test_clean_text_counts_each_fix():
    report = DataReport()
    assert clean_text("  Nghi\u0309 phe\u0301p\x07\ufffd ", report) == "Nghỉ phép"
    assert report.cleaned == {"nfc": 1, "broken_chars": 1}


@pytest.mark.parametrize(
    "row, reason",
    [
        ([], "must be a JSON object"),
        ({"output": "x"}, "'instruction' is missing"),
        ({"instruction": "q", "output": 3}, "'output' is missing or not a string"),
        ({"instruction": "q", "output": "a", "context": "text"}, "'context' must be a list"),
        ({"instruction": "q", "output": "a", "context": [3]}, "context item must be a string"),
        ({"instruction": "q", "output": "a", "history": [{"role": "bot", "content": "x"}]}, "'history' must be a list"),
        ({"instruction": "   ", "output": "a"}, "question is empty"),
        ({"messages": [{"role": "user", "content": "q"}]}, "at least a user and an assistant"),
        ({"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}, "system prompt comes from"),
        ({"messages": [{"role": "assistant", "content": "a"}, {"role": "user", "content": "q"}]}, "must end with"),
    ],
)
def test_bad_rows_name_the_reason(row, reason):
    with pytest.raises(DataError, match=reason):
        parse_row(row, "f.jsonl:7", DataReport())


def test_seed_row_with_context_history_and_input():
    row = {
        "instruction": "Còn nghỉ ốm?",
        "input": "(hỏi thêm)",
        "output": "Cần giấy xác nhận [1].",
        "context": [{"doc_id": "company/a.md", "title": "A > Nghỉ ốm", "text": "Nghỉ ốm cần giấy."}, "plain passage"],
        "history": [{"role": "user", "content": "Nghỉ phép bao nhiêu ngày?"}, {"role": "assistant", "content": "14 ngày [1]."}],
    }
    ex = parse_row(row, "f:1", DataReport())
    assert ex.question == "Còn nghỉ ốm?\n\n(hỏi thêm)"
    assert ex.passages == (Passage("Nghỉ ốm cần giấy.", "A > Nghỉ ốm", "company/a.md"), Passage("plain passage"))
    assert [m["role"] for m in ex.messages("S")] == ["system", "user", "assistant", "user"]


def test_read_examples_reports_file_line_and_drops_duplicates(tmp_path):
    path = tmp_path / "train.jsonl"
    good = {"instruction": "q", "output": "a"}
    path.write_text("\n".join([json.dumps(good), "{not json", json.dumps(good), json.dumps({"instruction": "q2"})]) + "\n")
    report = DataReport()
    examples = read_examples(path, report)
    assert len(examples) == 1
    assert report.rows_read == 4
    assert report.dropped == {"invalid": 2, "duplicate": 1}
    assert report.errors[0].startswith(f"{path}:2: invalid JSON")
    assert report.errors[1] == f"{path}:4: field 'output' is missing or not a string"


def test_labels_mask_everything_but_the_answer_and_its_end_of_turn(tiny_tokenizer):
    ex = Example("Giờ làm việc?", "Từ 8 giờ 30 [1].", (Passage("Văn phòng mở 8 giờ 30.", "Nội quy"),))
    row = tokenize_example(tiny_tokenizer, ex, "SYS")
    ids, labels = row["input_ids"], row["labels"]
    assert len(ids) == len(labels)
    trained = [t for t, label in zip(ids, labels, strict=True) if label != IGNORE_INDEX]
    first = labels.index(next(label for label in labels if label != IGNORE_INDEX))
    assert all(label == IGNORE_INDEX for label in labels[:first])
    assert all(label == t for t, label in zip(ids[first:], labels[first:], strict=True))  # contiguous tail
    assert tiny_tokenizer.decode(trained) == "Từ 8 giờ 30 [1].<end_of_turn>"
    assert trained[-1] == tiny_tokenizer.convert_tokens_to_ids("<end_of_turn>")
    prompt_text = tiny_tokenizer.decode(ids[:first])
    assert "Văn phòng mở 8 giờ 30." in prompt_text and prompt_text.endswith("<start_of_turn>model\n")


def test_over_length_rows_are_dropped_and_counted(tiny_tokenizer):
    report = DataReport()
    rows = tokenize_all(tiny_tokenizer, [Example("q", "a"), Example("q " * 400, "a")], "", 64, report)
    assert len(rows) == 1 and report.dropped["over_length"] == 1 and report.kept == 1


def test_split_is_seeded_and_disjoint():
    rows = list(range(100))
    a = split(rows, 0.1, seed=1)
    assert a == split(rows, 0.1, seed=1)
    assert len(a[1]) == 10 and not set(a[0]) & set(a[1])
    assert split(rows, 0.1, seed=2) != a


def test_near_duplicates_differing_in_case_and_punctuation_are_dropped(tmp_path):
    path = tmp_path / "t.jsonl"
    rows = [{"instruction": "Nghỉ phép mấy ngày?", "output": "14 ngày."}, {"instruction": "nghỉ  phép mấy ngày", "output": "14 ngày"}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    report = DataReport()
    assert len(read_examples(path, report)) == 1
    assert report.dropped == {"near_duplicate": 1}


def test_leakage_check_finds_a_paraphrase_of_an_eval_question():
    from ragtune.finetune.data import leaked_questions

    train = [Example("Nhân viên được nghỉ phép năm bao nhiêu ngày?", "a", source="t:1"), Example("Giờ làm việc?", "b", source="t:2")]
    leaks = leaked_questions(train, ["Nhân viên được nghỉ phép năm bao nhiêu ngày ạ?", "Wi-Fi khách là gì?"])
    assert len(leaks) == 1 and leaks[0].startswith("t:1:")
    assert leaked_questions(train, ["Công ty có bao nhiêu văn phòng?"]) == []


def test_preview_marks_exactly_the_trained_tokens(tiny_tokenizer):
    from ragtune.finetune.data import render_trained

    row = tokenize_example(tiny_tokenizer, Example("Giờ làm việc?", "Từ 8 giờ 30."), "SYS")
    text = render_trained(tiny_tokenizer, row)
    assert text.endswith("<start_of_turn>model\n«Từ 8 giờ 30.<end_of_turn>»")
    assert text.count("«") == 1 and text.count("»") == 1


EVAL_ROW = {"question": "Nghỉ ốm mấy ngày?", "reference": "Dạ, 3 ngày.", "sources": ["company/nghi-phep.md"],
            "answerable": True}


def _eval_file(tmp_path, *rows):
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_read_questions_gives_facts_as_alternatives_and_the_section(tmp_path):
    facts = ["3 ngày", ["20.000.000 đồng", "20 triệu đồng"]]
    row = {**EVAL_ROW, "facts": facts, "section": "Nội quy > Nghỉ ốm"}
    refusal = {"question": "Căng tin?", "reference": "Xin lỗi.", "sources": [], "answerable": False}
    first, plain, second = read_questions(_eval_file(tmp_path, row, EVAL_ROW, refusal))
    assert first.facts == (("3 ngày",), ("20.000.000 đồng", "20 triệu đồng"))
    assert first.section == "Nội quy > Nghỉ ốm"
    assert (plain.facts, plain.section) == ((), "")  # both optional: eval sets without them still load
    assert second == Question("Căng tin?", "Xin lỗi.", (), False)


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"facts": "3 ngày"}, "field 'facts' must be a list"),
        ({"facts": ["3 ngày", 3]}, "field 'facts[1]' must be a non-empty string"),
        ({"facts": [[]]}, "field 'facts[0]' must be a non-empty string"),
        ({"facts": [["3 ngày", ""]]}, "field 'facts[0]' must be a non-empty string"),
        ({"section": ["Nội quy", "Nghỉ ốm"]}, "field 'section' must be a string"),
    ],
)
def test_mistyped_facts_or_section_are_an_error_naming_file_line_and_field(tmp_path, extra, message):
    path = _eval_file(tmp_path, EVAL_ROW, {**EVAL_ROW, **extra})
    with pytest.raises(EvalDataError) as error:
        read_questions(path)
    assert str(error.value).startswith(f"{path}:2: ") and message in str(error.value)
