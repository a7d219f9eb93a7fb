import pytest
import torch
import torch.nn.functional as F

from ragtune.finetune.data import IGNORE_INDEX, Example, tokenize_example
from ragtune.finetune.lora import pad_collate, supervised_loss


@pytest.mark.parametrize("lm", ["tiny_model", "sliding_lm"])  # Llama; Gemma 3 with rows longer than its window
def test_head_only_loss_on_padded_batch_equals_full_loss_row_by_row(lm, tiny_tokenizer, request):
    tiny_model = request.getfixturevalue(lm)
    rows = [
        tokenize_example(tiny_tokenizer, Example("Giờ làm việc?", "Từ 8 giờ 30 [1]."), "SYS"),
        tokenize_example(tiny_tokenizer, Example("Nghỉ phép năm bao nhiêu ngày theo quy định?", "14 ngày."), "SYS"),
    ]
    batch = pad_collate(tiny_tokenizer.pad_token_id)(rows)
    assert (batch["input_ids"][:, -1] == tiny_tokenizer.pad_token_id).any()  # the shorter row is padded
    fast = supervised_loss(tiny_model, batch)
    losses, count = 0.0, 0
    for r in rows:  # reference: each row alone, full logits, standard shift
        ids, labels = torch.tensor([r["input_ids"]]), torch.tensor([r["labels"]])
        with torch.no_grad():
            logits = tiny_model(input_ids=ids).logits
        n = int((labels[:, 1:] != IGNORE_INDEX).sum())
        losses += F.cross_entropy(logits[0, :-1], labels[0, 1:], ignore_index=IGNORE_INDEX, reduction="sum").item()
        count += n
    torch.testing.assert_close(fast.detach(), torch.tensor(losses / count), rtol=1e-4, atol=1e-4)
