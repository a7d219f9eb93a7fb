"""Render the Markdown sources in corpora/sources/ into the handbook's other formats.

Each source is written once, in the format listed in TARGETS, to
corpora/documents/company/<name>.<format>:

* ``txt``  -- plain text (setext-style title and section underlines),
* ``html`` -- a complete page with <head>, <style>, <script>, <h1>/<h2> and <table>,
* ``pdf``  -- fpdf2 with the DejaVu Sans fonts (Vietnamese glyphs),
* ``docx`` -- python-docx with real Heading 1 / Heading 2 styles and tables.

Only a small Markdown subset is understood: ``#``/``##`` headings, paragraphs,
``-`` bullets, ``1.`` numbered items and pipe tables.  Output is deterministic:
fixed PDF creation date, fixed DOCX core properties and zip timestamps.
"""

import argparse
import html
import io
import re
import textwrap
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import docx
from docx.shared import Pt
from fpdf import FPDF
from fpdf.fonts import FontFace

from ragtune.prompt import nfc

CORPORA = Path(__file__).resolve().parent
FIXED_DATE = datetime(2026, 1, 1, tzinfo=timezone.utc)
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
AUTHOR = "Công ty Cổ phần Công nghệ Sao Mai"

TARGETS = {
    "chi-phi-hoan-ung": "docx",
    "thu-viec-hop-dong": "docx",
    "cong-tac-phi": "pdf",
    "phuc-loi-bao-hiem": "pdf",
    "mat-khau-thiet-bi": "txt",
    "kham-suc-khoe": "txt",
    "van-phong": "html",
}


# --------------------------------------------------------------------------- parsing

def parse_markdown(text: str) -> list[tuple]:
    """Split Markdown into blocks: (h1|h2|p, text), (ul|ol, items), (table, header, rows)."""
    blocks: list[tuple] = []
    for chunk in re.split(r"\n\s*\n", nfc(text).strip()):
        lines = [line.strip() for line in chunk.splitlines()]
        if lines[0].startswith("## "):
            blocks.append(("h2", lines[0][3:]))
        elif lines[0].startswith("# "):
            blocks.append(("h1", lines[0][2:]))
        elif lines[0].startswith("|"):
            cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
            blocks.append(("table", cells[0], cells[2:]))
        elif lines[0].startswith("- "):
            blocks.append(("ul", [line[2:] for line in lines]))
        elif re.match(r"\d+\. ", lines[0]):
            blocks.append(("ol", [re.sub(r"^\d+\. ", "", line) for line in lines]))
        else:
            blocks.append(("p", " ".join(lines)))
    return blocks


def document_title(blocks: list[tuple]) -> str:
    """The text of the first level-1 heading."""
    return next(block[1] for block in blocks if block[0] == "h1")


# --------------------------------------------------------------------------- txt

def render_txt(blocks: list[tuple]) -> str:
    """Plain text: underlined title and sections, wrapped paragraphs, tables as lists."""
    out: list[str] = []
    wrap = textwrap.TextWrapper(width=90, break_on_hyphens=False)
    for block in blocks:
        kind = block[0]
        if kind in ("h1", "h2"):
            out.append(f"{block[1]}\n{('=' if kind == 'h1' else '-') * len(block[1])}")
        elif kind == "p":
            out.append(wrap.fill(block[1]))
        elif kind in ("ul", "ol"):
            items = []
            for i, item in enumerate(block[1], 1):
                bullet = "- " if kind == "ul" else f"{i}. "
                items.append(textwrap.fill(item, 90, initial_indent=bullet,
                                           subsequent_indent=" " * len(bullet),
                                           break_on_hyphens=False))
            out.append("\n".join(items))
        else:
            header, rows = block[1], block[2]
            lines = []
            for row in rows:
                rest = "; ".join(f"{h.lower()}: {c}" for h, c in zip(header[1:], row[1:], strict=True))
                lines.append(textwrap.fill(f"{row[0]} — {rest}", 90, initial_indent="- ",
                                           subsequent_indent="  ", break_on_hyphens=False))
            out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


# --------------------------------------------------------------------------- html

HTML_STYLE = """
  body { font-family: "Segoe UI", Arial, sans-serif; max-width: 860px; margin: 2rem auto;
         color: #1f2933; line-height: 1.55; }
  h1 { color: #0b4f8a; border-bottom: 3px solid #f5a623; padding-bottom: .3rem; }
  h2 { color: #0b4f8a; margin-top: 2rem; }
  table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
  th, td { border: 1px solid #cbd2d9; padding: .45rem .6rem; text-align: left; }
  th { background: #e8f1fa; }
  tr.odd td { background: #f7f9fb; }
  footer { margin-top: 3rem; font-size: .85rem; color: #7b8794; }
"""

HTML_SCRIPT = """
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("table tbody tr").forEach(function (row, i) {
      if (i % 2 === 1) { row.classList.add("odd"); }
    });
    var stamp = document.getElementById("viewed-at");
    if (stamp) {
      stamp.textContent = "Bạn đang xem trang này lúc " + new Date().toLocaleTimeString("vi-VN");
    }
  });
"""


def render_html(blocks: list[tuple]) -> str:
    """A full HTML page; script and style text are not part of the document content."""
    esc = html.escape
    body: list[str] = []
    for block in blocks:
        kind = block[0]
        if kind in ("h1", "h2", "p"):
            body.append(f"<{kind}>{esc(block[1])}</{kind}>")
        elif kind in ("ul", "ol"):
            items = "".join(f"\n  <li>{esc(item)}</li>" for item in block[1])
            body.append(f"<{kind}>{items}\n</{kind}>")
        else:
            head = "".join(f"<th>{esc(c)}</th>" for c in block[1])
            rows = "".join("\n    <tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>"
                           for row in block[2])
            body.append(f"<table>\n  <thead><tr>{head}</tr></thead>\n  <tbody>{rows}\n  </tbody>\n</table>")
    title = esc(document_title(blocks))
    return (
        "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{title}</title>\n<style>{HTML_STYLE}</style>\n"
        f"<script>{HTML_SCRIPT}</script>\n</head>\n<body>\n<main>\n"
        + "\n".join(body)
        + "\n</main>\n<footer>© 2026 Sao Mai Tech · Tài liệu nội bộ · <span id=\"viewed-at\"></span></footer>\n"
        "</body>\n</html>\n"
    )


# --------------------------------------------------------------------------- pdf

class HandbookPDF(FPDF):
    """A4 page with the company name in the footer and page numbers."""

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("DejaVu", size=8)
        self.cell(0, 8, f"Sao Mai Tech – Tài liệu nội bộ · Trang {self.page_no()}/{{nb}}", align="C")


def render_pdf(blocks: list[tuple]) -> bytes:
    """PDF rendered with DejaVu Sans so that Vietnamese diacritics display correctly."""
    pdf = HandbookPDF(format="A4")
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_title(document_title(blocks))
    pdf.set_author(AUTHOR)
    pdf.set_creator("ragtune corpora/build_company_formats.py")
    pdf.set_lang("vi")
    pdf.set_creation_date(FIXED_DATE)
    pdf.add_page()
    for block in blocks:
        kind = block[0]
        if kind == "h1":
            pdf.set_font("DejaVu", "B", 16)
            pdf.multi_cell(0, 8, block[1], new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
        elif kind == "h2":
            pdf.ln(2)
            pdf.set_font("DejaVu", "B", 12.5)
            pdf.multi_cell(0, 7, block[1], new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif kind == "p":
            pdf.set_font("DejaVu", "", 10.5)
            pdf.multi_cell(0, 5.5, block[1], align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif kind in ("ul", "ol"):
            pdf.set_font("DejaVu", "", 10.5)
            for i, item in enumerate(block[1], 1):
                marker = "•" if kind == "ul" else f"{i}."
                pdf.set_x(pdf.l_margin + 3)
                pdf.cell(6, 5.5, marker)
                pdf.multi_cell(0, 5.5, item, align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        else:
            pdf.set_font("DejaVu", "", 9.5)
            headings = FontFace(emphasis="BOLD", fill_color=(232, 241, 250))
            with pdf.table(text_align="LEFT", line_height=5, headings_style=headings) as table:
                for row in [block[1], *block[2]]:
                    cells = table.row()
                    for cell in row:
                        cells.cell(cell)
            pdf.ln(3)
    return bytes(pdf.output())


# --------------------------------------------------------------------------- docx

def render_docx(blocks: list[tuple]) -> bytes:
    """DOCX with Heading 1 (title), Heading 2 (sections), lists and grid tables."""
    document = docx.Document()
    document.styles["Normal"].font.size = Pt(11)
    for block in blocks:
        kind = block[0]
        if kind == "h1":
            document.add_heading(block[1], level=1)
        elif kind == "h2":
            document.add_heading(block[1], level=2)
        elif kind == "p":
            document.add_paragraph(block[1])
        elif kind in ("ul", "ol"):
            style = "List Bullet" if kind == "ul" else "List Number"
            for item in block[1]:
                document.add_paragraph(item, style=style)
        else:
            header, rows = block[1], block[2]
            table = document.add_table(rows=1 + len(rows), cols=len(header))
            table.style = "Table Grid"
            for r, row in enumerate([header, *rows]):
                for c, text in enumerate(row):
                    cell = table.cell(r, c)
                    cell.text = text
                    if r == 0:
                        cell.paragraphs[0].runs[0].bold = True
    props = document.core_properties
    props.title = document_title(blocks)
    props.author = props.last_modified_by = AUTHOR
    props.created = props.modified = FIXED_DATE.replace(tzinfo=None)
    props.revision = 1
    buffer = io.BytesIO()
    document.save(buffer)
    return fix_zip_timestamps(buffer.getvalue())


def fix_zip_timestamps(data: bytes) -> bytes:
    """Rewrite a zip archive with every entry dated FIXED_DATE, for byte-stable output."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_DATE.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


# --------------------------------------------------------------------------- main

RENDERERS = {"txt": render_txt, "html": render_html, "pdf": render_pdf, "docx": render_docx}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", default=str(CORPORA / "sources"))
    parser.add_argument("--out", default=str(CORPORA / "documents" / "company"))
    args = parser.parse_args()

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, fmt in sorted(TARGETS.items()):
        blocks = parse_markdown((Path(args.sources) / f"{name}.md").read_text(encoding="utf-8"))
        rendered = RENDERERS[fmt](blocks)
        path = out_dir / f"{name}.{fmt}"
        if isinstance(rendered, str):
            path.write_text(rendered, encoding="utf-8")
        else:
            path.write_bytes(rendered)
        print(f"{path}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
