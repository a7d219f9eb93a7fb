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
    assert [d.doc_id for d in docs] == ["good.md", "rows.jsonl#1"]  # a bad JSONL line costs that line only
    reasons = "\n".join(report.skipped)
    assert f"{root / 'latin1.txt'}: not UTF-8" in reasons
    assert f"{root / 'broken.pdf'}: unreadable PDF" in reasons
    assert f"{root / 'rows.jsonl'}:2: invalid JSON" in reasons
    assert f"{root / 'notes.xyz'}: unsupported file type" in reasons
    assert f"{root / 'link.md'}: refused, it points outside the corpus root" in reasons
    assert len(report.skipped) == 5


def test_no_file_can_stop_the_build_or_fill_memory(tmp_path):
    """Broken symlink, corrupt DOCX (bad zip, bad XML), encrypted PDF, zip bomb, oversized text, a JSONL line that
    is not an object: each is `path: reason`, the rest load."""
    import zipfile

    import docx
    from pypdf import PdfWriter

    root = tmp_path / "docs"
    root.mkdir()
    (root / "good.md").write_text("# Tốt\n\nNội dung.", encoding="utf-8")
    (root / "gone.md").symlink_to(root / "deleted.md")  # inside the root, pointing nowhere
    (root / "notzip.docx").write_bytes(b"PK\x03\x04 not a zip")
    good = tmp_path / "ok.docx"
    docx.Document().save(good)
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(root / "badxml.docx", "w") as dst:
        for item in src.infolist():
            dst.writestr(item, b"<w:document><unclosed" if item.filename == "word/document.xml" else src.read(item))
    with zipfile.ZipFile(root / "bomb.docx", "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("word/document.xml", b"\0" * 3_000_000)  # 3 MB unpacked from a few kB
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("secret-password")
    writer.write(root / "locked.pdf")
    (root / "huge.txt").write_text("chữ " * 600_000, encoding="utf-8")
    (root / "rows.jsonl").write_text('[1, 2]\n{"id": "a", "text": "Dòng tốt."}\n"chuỗi"\n', encoding="utf-8")
    assert (root / "bomb.docx").stat().st_size < 100_000
    report = LoadReport()
    docs = load_corpus(root, report, max_bytes=1_000_000)
    assert [d.doc_id for d in docs] == ["good.md", "rows.jsonl#a"]
    reasons = dict(line.split(": ", 1) for line in report.skipped)
    assert set(reasons) == {str(root / n) for n in ("gone.md", "notzip.docx", "badxml.docx", "bomb.docx", "locked.pdf", "huge.txt")} | {
        f"{root / 'rows.jsonl'}:1", f"{root / 'rows.jsonl'}:3"}  # fmt: skip
    assert "encrypted" in reasons[str(root / "locked.pdf")] and "max_document_bytes" in reasons[str(root / "bomb.docx")]
    assert "max_document_bytes" in reasons[str(root / "huge.txt")] and "JSON object" in reasons[f"{root / 'rows.jsonl'}:1"]
