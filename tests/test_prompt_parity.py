"""Train/serve parity: a training row whose context is the retrieved chunks renders to the exact prompt
the server builds for the same question and hits."""

from ragtune.config import DEFAULT_SYSTEM_PROMPT
from ragtune.finetune.data import DataReport, parse_row
from ragtune.prompt import build_messages, render_prompt
from ragtune.rag.index import build_index
from ragtune.rag.retrieve import Retriever


def test_training_row_and_served_request_render_identically(tiny_corpus, tmp_path, hash_embedder, tiny_tokenizer):
    build_index(tiny_corpus, tmp_path / "ix", "hash-test", 64, 8, 8, embedder=hash_embedder)
    question = "Nghỉ phép năm bao nhiêu ngày?"
    hits = Retriever(tmp_path / "ix", "hash-test", embedder=hash_embedder).search(question, 3)
    history = [{"role": "user", "content": "Xin chào"}, {"role": "assistant", "content": "Dạ, chào anh/chị."}]
    served = render_prompt(tiny_tokenizer, build_messages(question, [h.passage() for h in hits], history, DEFAULT_SYSTEM_PROMPT))
    row = {
        "instruction": question,
        "output": "Dạ, 14 ngày [1].",
        "context": [{"doc_id": h.chunk.doc_id, "title": h.chunk.heading, "text": h.chunk.text} for h in hits],
        "history": history,
    }
    example = parse_row(row, "row:1", DataReport())
    trained = render_prompt(tiny_tokenizer, example.messages(DEFAULT_SYSTEM_PROMPT))
    assert trained == served
    assert "[1] Quy định nghỉ phép > Nghỉ phép năm" in served
