"""Training rows in served context: gold where retrieval put it (or placed at random), citations renumbered,
hard negatives without the gold, its section or its numbers. Pure functions, no model."""

import random
from collections import Counter

from ragtune.finetune.data import Example
from ragtune.finetune.grounding import ground, hard_negative, holds, served_context
from ragtune.prompt import Passage

NOT_FOUND = "Xin lỗi, tài liệu hiện có không chứa thông tin để trả lời câu hỏi này."
GOLD = Passage("Nhân viên chính thức được nghỉ phép năm 14 ngày mỗi năm, cộng 1 ngày cho mỗi 5 năm làm việc.",
               "Quy định nghỉ phép > Nghỉ phép năm", "company/nghi-phep.md")  # fmt: skip
UNRELATED = Passage("Giờ mở cửa văn phòng từ 7 giờ đến 19 giờ.", "Văn phòng > Giờ mở cửa", "company/van-phong.md")
ROW = Example("Mỗi năm tôi được nghỉ phép bao nhiêu ngày?", "Dạ, anh/chị được nghỉ phép năm 14 ngày mỗi năm [2].",
              (UNRELATED, GOLD), source="train.jsonl:7")  # fmt: skip
SAME_DOC = Passage("Nghỉ ốm có giấy của bác sĩ được hưởng lương theo quy định bảo hiểm xã hội.",
                   "Quy định nghỉ phép > Nghỉ ốm", "company/nghi-phep.md")  # fmt: skip
OTHER = Passage("Nhân viên thử việc được nghỉ 1 ngày mỗi tháng.", "Thử việc > Nghỉ trong thử việc", "company/thu-viec.md")
# the index's chunk of the gold section: the same words plus the next sentence
GOLD_CHUNK = Passage(GOLD.text + " Phép năm được chuyển sang năm sau tối đa 5 ngày.", GOLD.title, GOLD.doc_id)


def test_the_gold_takes_the_place_of_the_retrieved_chunk_that_holds_it_and_citations_follow():
    assert holds(GOLD_CHUNK, GOLD) and not holds(SAME_DOC, GOLD) and not holds(Passage(GOLD.text, doc_id="x.md"), GOLD)
    row = served_context(ROW, [SAME_DOC, OTHER, GOLD_CHUNK], random.Random(0))
    assert row.passages == (SAME_DOC, OTHER, GOLD)  # where retrieval ranked it: third, not first
    assert row.answer == "Dạ, anh/chị được nghỉ phép năm 14 ngày mỗi năm [3]."
    assert UNRELATED not in row.passages  # the hand-picked distractor gives way to retrieved ones


def test_a_gold_passage_retrieval_missed_lands_at_varying_positions_within_top_k():
    positions = Counter()
    for seed in range(60):
        row = served_context(ROW, [SAME_DOC, OTHER, UNRELATED], random.Random(seed))
        assert len(row.passages) == 3 and GOLD in row.passages
        n = row.passages.index(GOLD) + 1
        assert row.answer.endswith(f"[{n}].")
        positions[n] += 1
    assert set(positions) == {1, 2, 3}


def test_rows_citing_nothing_are_kept_as_written():
    refusal = Example("Công ty có căng tin không?", NOT_FOUND, (UNRELATED,))
    assert served_context(refusal, [SAME_DOC], random.Random(0)) is refusal
    assert hard_negative(refusal, [SAME_DOC], NOT_FOUND) is None


def test_a_hard_negative_is_on_topic_context_without_the_gold_its_section_or_its_numbers():
    negative = hard_negative(ROW, [GOLD_CHUNK, SAME_DOC, OTHER], NOT_FOUND)
    assert negative.passages == (SAME_DOC, OTHER) and negative.answer == NOT_FOUND
    assert negative.source.endswith("(hard negative)")
    another_chunk_of_the_gold_section = Passage("Phép năm được chuyển sang năm sau tối đa 5 ngày.", GOLD.title, GOLD.doc_id)
    assert hard_negative(ROW, [another_chunk_of_the_gold_section, OTHER], NOT_FOUND).passages == (OTHER,)
    says_it_too = Passage("Theo nội quy, mỗi năm có 14 ngày phép.", "Sổ tay > Tóm tắt", "company/so-tay.md")
    assert hard_negative(ROW, [GOLD_CHUNK, says_it_too], NOT_FOUND) is None  # the number is still in front of it
    assert hard_negative(ROW, [GOLD_CHUNK], NOT_FOUND) is None  # nothing else was retrieved


def test_ground_renders_every_citing_row_and_adds_negatives_after_their_rows():
    refusal = Example("Công ty có căng tin không?", NOT_FOUND, (UNRELATED,))
    counts = Counter()
    out = ground([ROW, refusal], lambda ex: [GOLD_CHUNK, SAME_DOC, OTHER], 1.0, lambda q: NOT_FOUND, random.Random(0), counts)
    assert [r.answer for r in out] == [ROW.answer.replace("[2]", "[1]"), NOT_FOUND, NOT_FOUND]
    assert out[1].passages == (SAME_DOC, OTHER) and out[2] is refusal
    assert counts == Counter(served_context=1, hard_negative=1, as_written=1)
