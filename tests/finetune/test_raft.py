import random

from ragtune.finetune.data import Example
from ragtune.finetune.raft import raft_example
from ragtune.prompt import Passage

GOLD = Passage("Nghỉ phép năm 14 ngày.", "Nghỉ phép", "company/nghi-phep.md")
OLD_DISTRACTOR = Passage("Giá vé xe.", "Công tác", "company/cong-tac.md")
RETRIEVED = [Passage(f"Đoạn {i}.", f"T{i}", f"laws/l{i}.md") for i in range(6)] + [GOLD]
NOT_FOUND = "Không có trong tài liệu."


def test_gold_is_kept_distractors_are_retrieved_and_citations_follow_it():
    ex = Example("Nghỉ phép mấy ngày?", "Dạ, 14 ngày [2].", (OLD_DISTRACTOR, GOLD))
    for seed in range(20):
        new = raft_example(ex, RETRIEVED, k=4, no_gold_share=0.0, not_found=NOT_FOUND, rng=random.Random(seed))
        assert len(new.passages) == 4 and new.passages.count(GOLD) == 1 and OLD_DISTRACTOR not in new.passages
        position = new.passages.index(GOLD) + 1
        assert new.answer == f"Dạ, 14 ngày [{position}]."


def test_a_share_of_rows_loses_its_gold_and_learns_to_refuse():
    ex = Example("Nghỉ phép mấy ngày?", "Dạ, 14 ngày [1].", (GOLD,))
    rng = random.Random(0)
    rows = [raft_example(ex, RETRIEVED, 3, 0.3, NOT_FOUND, rng) for _ in range(400)]
    refused = [r for r in rows if r.answer == NOT_FOUND]
    assert 0.22 < len(refused) / len(rows) < 0.38
    assert all(GOLD not in r.passages and len(r.passages) == 3 for r in refused)


def test_rows_without_citations_are_left_as_written():
    refusal = Example("Giá cổ phiếu?", NOT_FOUND, (OLD_DISTRACTOR,))
    assert raft_example(refusal, RETRIEVED, 4, 0.5, NOT_FOUND, random.Random(0)) is refusal
