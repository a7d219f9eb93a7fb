"""Follow-up questions: does searching with the previous user turn find the right chunks? (one JSON line)

Hand-written two-turn cases over the shipped corpus: the follow-up alone is elliptical ("Còn nghỉ
ốm thì sao?"); the server searches `previous user turn + follow-up` (ragtune.prompt.retrieval_query).
Reports hit@k of the gold section for the follow-up alone and with the conversation. Needs `make index`.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ragtune.config import load_config  # noqa: E402
from ragtune.prompt import retrieval_query  # noqa: E402
from ragtune.rag.retrieve import build_retriever  # noqa: E402

# (first question, follow-up, gold document, words the gold section's heading contains)
CASES = [
    ("Nghỉ ốm thì cần giấy tờ gì?", "Phải nộp trong bao lâu?", "company/nghi-phep.md", "Nghỉ ốm"),
    ("Nhân viên có mấy ngày nghỉ phép năm?", "Muốn xin nghỉ thì làm thủ tục thế nào?", "company/nghi-phep.md", "Thủ tục xin nghỉ"),
    ("Trực sự cố on-call được trả bao nhiêu?", "Một tháng tối đa mấy lần?", "company/lam-them-gio.md", "Trực sự cố"),
    ("Làm thêm giờ có được nghỉ bù không?", "Phải dùng trong thời hạn nào?", "company/lam-them-gio.md", "Nghỉ bù"),
    ("Nhận được email lừa đảo phishing thì làm gì?", "Báo cho ai?", "company/an-toan-thong-tin.md", ""),
    ("Hủy gói SaoMai Books như thế nào?", "Có được hoàn tiền không?", "company/saomai-books-faq.md", "Hủy dịch vụ"),
    ("SaoMai Books có những gói dịch vụ nào?", "Gói rẻ nhất giá bao nhiêu?", "company/saomai-books-faq.md", "Bảng giá"),
    ("Điều kiện đăng ký tạm trú là gì?", "Hồ sơ gồm những gì?", "laws/luat-cu-tru.md", "tạm trú"),
    ("Khi nào bị xóa đăng ký thường trú?", "Ai có thẩm quyền làm việc đó?", "laws/luat-cu-tru.md", "Xóa đăng ký thường trú"),
    ("Đi công tác thì được phụ cấp lưu trú bao nhiêu một ngày?", "Còn tiền thuê phòng?", "company/cong-tac-phi.pdf", ""),
]


def main() -> None:
    cfg = load_config(ROOT / "config.yaml", env={})
    retriever = build_retriever(cfg)
    k = cfg.serve.top_k
    out = {"cases": len(CASES), "k": k, "index_version": retriever.version}
    for name, make_query in (("followup_alone", lambda first, q: q), ("with_history", lambda first, q: retrieval_query(q, [{"role": "user", "content": first}]))):
        hits = 0
        for first, followup, doc, heading in CASES:
            results = retriever.search(make_query(first, followup), k)
            hits += any(h.chunk.doc_id == doc and heading.lower() in h.chunk.heading.lower() for h in results)
        out[f"hit@{k}_{name}"] = round(hits / len(CASES), 3)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
