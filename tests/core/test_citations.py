from ragtune.citations import clean_citations


def test_markers_past_the_sources_are_removed_and_counted():
    assert clean_citations("Nghỉ 14 ngày [1], nộp mẫu NS-03 [3] [2].", 2) == ("Nghỉ 14 ngày [1], nộp mẫu NS-03 [2].", 1)
    assert clean_citations("Không có nguồn [1].", 0) == ("Không có nguồn.", 1)
    assert clean_citations("Bình thường.", 3) == ("Bình thường.", 0)
