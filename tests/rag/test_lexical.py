import unicodedata

from ragtune.rag.index import build_index
from ragtune.rag.lexical import LexicalIndex, lexical_terms
from ragtune.rag.retrieve import Retriever


def test_terms_are_nfc_lowercase_syllables_and_bigrams():
    nfd = unicodedata.normalize("NFD", "Đăng ký Thường trú")
    assert lexical_terms(nfd) == ["đăng", "ký", "thường", "trú", "đăng_ký", "ký_thường", "thường_trú"]
    assert lexical_terms("a b", bigrams=False) == ["a", "b"]


def test_bm25_prefers_the_word_over_scattered_syllables():
    texts = ["nghỉ phép năm được 14 ngày", "phép tính và nghỉ ngơi cuối năm"]
    scores = LexicalIndex.build(texts).scores("nghỉ phép")
    assert scores[0] > scores[1] > 0
    assert LexicalIndex.build(texts).scores("từ không có").tolist() == [0.0, 0.0]


def test_nfc_and_nfd_queries_find_the_same_chunks_in_every_mode(tiny_corpus, tmp_path, hash_embedder):
    build_index(tiny_corpus, tmp_path / "ix", "hash-test", 64, 8, 8, embedder=hash_embedder)
    retriever = Retriever(tmp_path / "ix", "hash-test", embedder=hash_embedder)
    question = "điều kiện đăng ký thường trú"
    for mode in ("dense", "bm25", "hybrid"):
        nfc_hits = retriever.search(unicodedata.normalize("NFC", question), 2, mode=mode)
        nfd_hits = retriever.search(unicodedata.normalize("NFD", question), 2, mode=mode)
        assert [h.chunk.chunk_id for h in nfc_hits] == [h.chunk.chunk_id for h in nfd_hits]
        assert nfc_hits[0].chunk.doc_id == "laws/luat-cu-tru.md", mode


def test_hybrid_filter_and_mmr(tiny_corpus, tmp_path, hash_embedder):
    build_index(tiny_corpus, tmp_path / "ix", "hash-test", 64, 8, 8, embedder=hash_embedder)
    retriever = Retriever(tmp_path / "ix", "hash-test", embedder=hash_embedder)
    hits = retriever.search("nghỉ phép năm", 3, doc_prefix="company/")
    assert hits and all(h.chunk.doc_id.startswith("company/") for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert len(retriever.search("nghỉ phép năm", 2, diversity=0.5)) == 2
