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


def test_lora_on_the_top_layers_only_keeps_the_backward_pass_out_of_the_bottom_ones(tiny_model):
    from peft import LoraConfig, get_peft_model

    from ragtune.finetune.__main__ import top_layers

    assert top_layers(tiny_model, 1.0) == {}  # every layer: peft's default
    peft_model = get_peft_model(
        tiny_model, LoraConfig(r=2, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM", **top_layers(tiny_model, 0.5))
    )
    trainable = [n for n, p in peft_model.named_parameters() if p.requires_grad]
    assert trainable and all(".layers.1." in n for n in trainable)
    needs_grad = {}
    for i, layer in enumerate(peft_model.base_model.model.model.layers):
        layer.register_forward_hook(lambda _m, _i, out, i=i: needs_grad.__setitem__(i, (out[0] if isinstance(out, tuple) else out).requires_grad))
    peft_model.train()
    peft_model(input_ids=torch.tensor([[1, 2, 3, 4]])).logits.sum().backward()
    assert needs_grad == {0: False, 1: True}  # autograd records nothing below the adapted layer



def test_accumulated_micro_batches_make_the_same_step_as_one_batch(tiny_tokenizer, tiny_model_dir, tmp_path):
    """Two micro-batches of 2 rows accumulated into one optimizer step move the weights as one batch of 4
    does: the loss is the mean over the trained tokens of all four rows, not the sum of two means (plain
    SGD, no clipping, so any difference in the gradient shows in the step)."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, TrainingArguments

    from ragtune.finetune.lora import SupervisedTrainer

    qa = [("Giờ làm việc?", "Từ 8 giờ 30 [1]."), ("Nghỉ phép năm bao nhiêu ngày theo quy định?", "14 ngày làm việc mỗi năm [2]."),
          ("Phụ cấp ăn trưa?", "730.000 đồng."), ("Ai duyệt đơn nghỉ phép?", "Quản lý trực tiếp duyệt trên SaoMai People [1].")]  # fmt: skip
    rows = [{k: r[k] for k in ("input_ids", "labels")} for r in (tokenize_example(tiny_tokenizer, Example(q, a), "SYS") for q, a in qa)]
    stepped = {}
    for batch, accumulate in ((4, 1), (2, 2)):
        torch.manual_seed(0)
        model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_model_dir),
                               LoraConfig(r=2, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM"))  # fmt: skip
        args = TrainingArguments(output_dir=str(tmp_path / f"b{batch}"), per_device_train_batch_size=batch,
                                 gradient_accumulation_steps=accumulate, max_steps=1, learning_rate=1.0, optim="sgd",
                                 lr_scheduler_type="constant", max_grad_norm=0.0, train_sampling_strategy="sequential",
                                 save_strategy="no", report_to=[], use_cpu=True, remove_unused_columns=False, seed=0)  # fmt: skip
        SupervisedTrainer(model=model, args=args, train_dataset=rows, data_collator=pad_collate(tiny_tokenizer.pad_token_id)).train()
        stepped[batch] = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    assert stepped[4].keys() == stepped[2].keys() and stepped[4]
    for name, weight in stepped[4].items():
        torch.testing.assert_close(stepped[2][name], weight, rtol=1e-4, atol=1e-6)


def test_validation_pass_records_the_refusal_scores_a_separate_prefill_gives(tiny_tokenizer, tiny_model_dir, tmp_path):
    """The calibration after training reads each validation row's refusal score from the last validation
    pass (the logits at the row's first answer position) instead of prefilling every prompt again: the
    scores must be the ones `refusal_scores` gives on the rendered prompts, in row order, padding or not, and
    whatever order the validation batches come in (training groups them by length)."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, TrainingArguments

    from ragtune.finetune.generation import refusal_scores
    from ragtune.finetune.lora import SupervisedTrainer
    from ragtune.prompt import render_prompt

    qa = [("Giờ làm việc?", "Từ 8 giờ 30 [1]."), ("Phụ cấp cho thực tập sinh trực đêm là bao nhiêu?", "Xin lỗi, tài liệu không có."),
          ("Phụ cấp ăn trưa?", "730.000 đồng."), ("Ai duyệt đơn nghỉ phép năm của nhân viên mới?", "Quản lý trực tiếp [1].")]  # fmt: skip
    examples = [Example(q, a) for q, a in qa]
    rows = [{"input_ids": r["input_ids"], "labels": r["labels"], "row": i}
            for i, r in enumerate(tokenize_example(tiny_tokenizer, ex, "SYS") for ex in examples)]  # fmt: skip
    torch.manual_seed(0)
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_model_dir),
                           LoraConfig(r=2, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM"))  # fmt: skip
    ids = tiny_tokenizer("Xin", add_special_tokens=False)["input_ids"][:1] + [5]
    args = TrainingArguments(output_dir=str(tmp_path), per_device_eval_batch_size=2, report_to=[], use_cpu=True,
                             remove_unused_columns=False, prediction_loss_only=True, train_sampling_strategy="group_by_length")  # fmt: skip
    trainer = SupervisedTrainer(model=model, args=args, eval_dataset=rows, data_collator=pad_collate(tiny_tokenizer.pad_token_id),
                                refusal_token_ids=ids)  # fmt: skip
    trainer.evaluate()
    model.eval()
    expected = refusal_scores(model, tiny_tokenizer, [render_prompt(tiny_tokenizer, ex.messages("SYS")) for ex in examples], ids)
    assert trainer.refusal_scores_step == 0 and len(trainer.refusal_scores) == len(rows)
    torch.testing.assert_close(torch.tensor(trainer.refusal_scores), torch.tensor(expected), rtol=1e-4, atol=1e-6)
    trainer.evaluate()  # a later pass replaces the scores, it does not add to them
    assert len(trainer.refusal_scores) == len(rows)
