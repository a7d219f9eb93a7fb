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


def test_built_from_term_ids_scores_as_bm25s_does_from_the_terms():
    """The index is built from int32 term ids (memory); its scores equal bm25s's own build from term strings."""
    import bm25s
    import numpy as np

    texts = ["Nghỉ phép năm 14 ngày, nghỉ phép ốm 30 ngày", "!!!", "phép tính và nghỉ ngơi cuối năm", "thời hạn thử việc"]
    reference = bm25s.BM25()
    reference.index([lexical_terms(t) for t in texts], show_progress=False)
    ours = LexicalIndex.build(iter(texts))
    assert ours.size == 4
    for query in ("nghỉ phép năm", "thử việc bao lâu", "ngày 30"):
        terms = [t for t in lexical_terms(query) if t in reference.vocab_dict]
        assert np.allclose(ours.scores(query), reference.get_scores(terms))
    assert ours.scores("nghỉ phép")[1] == 0.0
