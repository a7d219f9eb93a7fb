import json

import pytest

from ragtune.rag import store
from ragtune.rag.index import build_index
from ragtune.rag.retrieve import EmptyQuestion, Retriever


def _build(corpus, out, embedder, full=False):
    return build_index(corpus, out, "hash-test", chunk_tokens=64, chunk_overlap=8, batch_size=8, full=full, embedder=embedder)


def test_build_publishes_a_version_with_its_config(tiny_corpus, tmp_path, hash_embedder):
    out = tmp_path / "index"
    summary = _build(tiny_corpus, out, hash_embedder)
    assert (summary.added, summary.changed, summary.removed) == (3, 0, 0)
    live = store.current_dir(out)
    config = json.loads((live / "config.json").read_text())
    assert config["embedder"] == "hash-test" and config["dimension"] == 64 and config["chunk_tokens"] == 64
    chunks = store.read_chunks(live)
    assert {c.doc_id for c in chunks} == {"company/nghi-phep.md", "company/gio-lam-viec.txt", "laws/luat-cu-tru.md"}
    law = next(c for c in chunks if c.doc_id == "laws/luat-cu-tru.md")
    assert law.heading == "Luật Cư trú > Điều 20. Điều kiện đăng ký thường trú"
    text = (tiny_corpus / "laws" / "luat-cu-tru.md").read_text()
    assert text[law.start : law.end] == law.text


def test_second_run_embeds_nothing_and_a_change_embeds_only_that_document(tiny_corpus, tmp_path, hash_embedder):
    out = tmp_path / "index"
    _build(tiny_corpus, out, hash_embedder)
    first_calls = hash_embedder.calls
    live = store.current_version(out)
    again = _build(tiny_corpus, out, hash_embedder)
    assert again.embedded_chunks == 0 and again.unchanged == 3 and hash_embedder.calls == first_calls
    assert again.version == live == store.current_version(out)  # nothing changed: nothing published
    (tiny_corpus / "company" / "gio-lam-viec.txt").write_text("Giờ làm việc\n\nVăn phòng mở cửa từ 9 giờ.\n")
    (tiny_corpus / "laws" / "luat-cu-tru.md").unlink()
    changed = _build(tiny_corpus, out, hash_embedder)
    assert (changed.changed, changed.removed, changed.unchanged) == (1, 1, 1)
    assert changed.embedded_chunks == 1
    retriever = Retriever(out, "hash-test", embedder=hash_embedder)
    assert all(c.doc_id != "laws/luat-cu-tru.md" for c in retriever.chunks)


def test_incremental_equals_full_rebuild(tiny_corpus, tmp_path, hash_embedder):
    inc, full = tmp_path / "inc", tmp_path / "full"
    _build(tiny_corpus, inc, hash_embedder)
    (tiny_corpus / "company" / "nghi-phep.md").write_text("# Quy định nghỉ phép\n\n## Nghỉ phép năm\n\nNghỉ phép năm 15 ngày.\n")
    _build(tiny_corpus, inc, hash_embedder)
    _build(tiny_corpus, full, hash_embedder, full=True)
    a, b = Retriever(inc, "hash-test", embedder=hash_embedder), Retriever(full, "hash-test", embedder=hash_embedder)
    assert [c.to_dict() for c in a.chunks] == [c.to_dict() for c in b.chunks]
    for q in ["nghỉ phép năm", "giờ làm việc văn phòng", "đăng ký thường trú"]:
        assert [(h.chunk.chunk_id, round(h.score, 5)) for h in a.search(q, 3)] == [
            (h.chunk.chunk_id, round(h.score, 5)) for h in b.search(q, 3)
        ]


def test_search_leaves_out_chunks_far_below_the_best(tiny_corpus, tmp_path, hash_embedder):
    _build(tiny_corpus, tmp_path / "index", hash_embedder)
    retriever = Retriever(tmp_path / "index", "hash-test", embedder=hash_embedder)
    every = retriever.search("nghỉ phép năm", 3)
    near = retriever.search("nghỉ phép năm", 3, min_share=0.9)
    assert len(every) == 3 and 1 <= len(near) < 3
    assert near == [h for h in every if h.score >= 0.9 * every[0].score]


def test_a_failed_build_leaves_the_live_index_intact(tiny_corpus, tmp_path, hash_embedder, monkeypatch):
    out = tmp_path / "index"
    _build(tiny_corpus, out, hash_embedder)
    live = store.current_version(out)

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(store, "publish", boom)
    (tiny_corpus / "company" / "new.md").write_text("# Mới\n\nNội dung mới.\n")
    with pytest.raises(OSError):
        _build(tiny_corpus, out, hash_embedder)
    assert store.current_version(out) == live
    assert Retriever(out, "hash-test", embedder=hash_embedder).search("nghỉ phép", 1)


def test_search_filters_mismatch_and_empty_question(tiny_corpus, tmp_path, hash_embedder):
    out = tmp_path / "index"
    _build(tiny_corpus, out, hash_embedder)
    retriever = Retriever(out, "hash-test", embedder=hash_embedder)
    hits = retriever.search("Văn phòng mở cửa từ 8 giờ 30", 2)
    assert hits[0].chunk.doc_id == "company/gio-lam-viec.txt"
    assert hits[0].score >= hits[1].score
    assert all(h.chunk.doc_id.startswith("laws/") for h in retriever.search("giờ", 3, doc_prefix="laws/"))
    with pytest.raises(EmptyQuestion):
        retriever.search("   ")
    with pytest.raises(store.IndexMismatch, match="model.embedder"):
        Retriever(out, "minilm-l6", embedder=hash_embedder)
    with pytest.raises(store.IndexNotFound, match="make index"):
        Retriever(tmp_path / "nothing", "hash-test", embedder=hash_embedder)


def test_hnsw_above_the_threshold_finds_what_flat_finds(tiny_corpus, tmp_path, hash_embedder):
    build_index(tiny_corpus, tmp_path / "flat", "hash-test", 32, 4, 8, embedder=hash_embedder)
    build_index(tiny_corpus, tmp_path / "hnsw", "hash-test", 32, 4, 8, embedder=hash_embedder, hnsw_above=1)
    assert json.loads((store.current_dir(tmp_path / "hnsw") / "config.json").read_text())["dense_index"] == "hnsw"
    flat = Retriever(tmp_path / "flat", "hash-test", embedder=hash_embedder)
    hnsw = Retriever(tmp_path / "hnsw", "hash-test", embedder=hash_embedder)
    for q in ["nghỉ phép năm", "đăng ký thường trú", "giờ làm việc"]:
        assert [h.chunk.chunk_id for h in flat.search(q, 3, mode="dense")] == [h.chunk.chunk_id for h in hnsw.search(q, 3, mode="dense")]
