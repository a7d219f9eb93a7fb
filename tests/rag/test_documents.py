"""Each loader on small real files made here; bad files are reported as `path: reason`, never dropped silently."""

import json
import os

import pytest

from ragtune.rag.documents import LoadReport, load_corpus, load_docx, load_html, load_pdf

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def test_docx_keeps_headings_and_tables(tmp_path):
    import docx

    d = docx.Document()
    d.add_heading("Quy định công tác", level=1)
    d.add_heading("Phụ cấp", level=2)
    d.add_paragraph("Phụ cấp lưu trú 300.000 đồng mỗi ngày.")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Vùng", "Mức"
    table.cell(1, 0).text, table.cell(1, 1).text = "Hà Nội", "500.000"
    d.save(tmp_path / "a.docx")
    doc = load_docx(tmp_path / "a.docx", "a.docx")
    assert doc.title == "Quy định công tác"
    assert "# Quy định công tác\n\n## Phụ cấp\n\nPhụ cấp lưu trú 300.000 đồng mỗi ngày." in doc.text
    assert "Hà Nội | 500.000" in doc.text


@pytest.mark.skipif(not os.path.exists(DEJAVU), reason="DejaVu font (fonts-dejavu-core) is needed to write Vietnamese")
def test_pdf_pages_are_numbered(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("dejavu", fname=DEJAVU)
    pdf.set_font("dejavu", size=12)
    for text in ("Trang một: nghỉ phép năm 14 ngày.", "Trang hai: nghỉ ốm cần giấy xác nhận."):
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    pdf.output(str(tmp_path / "b.pdf"))
    doc = load_pdf(tmp_path / "b.pdf", "b.pdf")
    assert [page for _, page in doc.pages] == [1, 2]
    second = doc.text.index("Trang hai")
    assert doc.pages[1][0] <= second and "nghỉ phép năm 14 ngày" in doc.text


def test_html_drops_scripts_and_styles(tmp_path):
    (tmp_path / "c.html").write_text(
        "<html><head><title>Văn phòng</title><style>.x{color:red}</style></head><body>"
        "<h1>Văn phòng</h1><script>alert('hidden')</script><p>Mở cửa 8 giờ.</p>"
        "<table><tr><td>Tầng</td><td>9</td></tr></table></body></html>",
        encoding="utf-8",
    )
    doc = load_html(tmp_path / "c.html", "c.html")
    assert doc.title == "Văn phòng"
    assert "# Văn phòng" in doc.text and "Mở cửa 8 giờ." in doc.text and "Tầng | 9" in doc.text
    assert "alert" not in doc.text and "color" not in doc.text


def test_bad_files_are_reported_with_their_path_and_the_rest_load(tmp_path):
    root = tmp_path / "docs"
    root.mkdir()
    (root / "good.md").write_text("# Tốt\n\nNội dung.", encoding="utf-8")
    (root / "latin1.txt").write_bytes("Nghỉ phép".encode("cp1258", errors="replace") + b"\xff\xfe")
    (root / "broken.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    (root / "rows.jsonl").write_text(json.dumps({"id": "1", "text": "ok"}) + "\n{bad\n", encoding="utf-8")
    (root / "notes.xyz").write_text("?", encoding="utf-8")
    outside = tmp_path / "secret.md"
    outside.write_text("# Bí mật\n\nKhông được đọc.", encoding="utf-8")
    (root / "link.md").symlink_to(outside)
    report = LoadReport()
    docs = load_corpus(root, report)
    assert [d.doc_id for d in docs] == ["good.md"]
    reasons = "\n".join(report.skipped)
    assert f"{root / 'latin1.txt'}: not UTF-8" in reasons
    assert f"{root / 'broken.pdf'}: unreadable PDF" in reasons
    assert f"{root / 'rows.jsonl'}:2: invalid JSON" in reasons
    assert f"{root / 'notes.xyz'}: unsupported file type" in reasons
    assert f"{root / 'link.md'}: refused, it points outside the corpus root" in reasons
    assert len(report.skipped) == 5
