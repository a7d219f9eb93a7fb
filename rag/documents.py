"""Document loaders: `.md .txt .html .pdf .docx .jsonl` under a corpus root -> NFC `Document`s.

A document's id is its path relative to the root (jsonl: one document a line, id from the row).
Anyone can drop a file in the folder, so no file can stop a build: whatever fails while reading one
(unreadable, a broken symlink, a corrupt DOCX or PDF, an encrypted PDF, a bad JSONL line) is reported as
`path: reason` and skipped, the rest indexed. A document over `max_bytes` (on disk, unpacked from its DOCX
zip, or as text extracted from a PDF) is skipped before it fills memory. Paths that leave the root
(symlinks, `..`) are refused.
"""

from __future__ import annotations

import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ragtune import jsonl
from ragtune.errors import RagtuneError

SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".docx", ".jsonl")
MAX_BYTES = 50_000_000  # index.max_document_bytes' default


@dataclass(frozen=True)
class Document:
    doc_id: str
    title: str
    text: str  # Markdown-ish: headings as `#` lines so the splitter can follow them
    pages: tuple[tuple[int, int], ...] = ()  # (start char, page number) for PDFs


@dataclass
class LoadReport:
    loaded: int = 0
    skipped: list[str] = field(default_factory=list)  # "path: reason"


class DocumentError(RagtuneError, ValueError):
    """A file could not be read; the message starts with its path."""


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _title_from_markdown(text: str, fallback: str) -> str:
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return fallback


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DocumentError(f"{path}: not UTF-8 text (byte {e.start}); re-save it as UTF-8") from None


def load_markdown(path: Path, doc_id: str) -> Document:
    text = nfc(_read_text(path))
    return Document(doc_id, _title_from_markdown(text, path.stem), text)


def load_text(path: Path, doc_id: str) -> Document:
    text = nfc(_read_text(path))
    first = next((line.strip() for line in text.splitlines() if line.strip()), path.stem)
    return Document(doc_id, first[:120], text)


def load_html(path: Path, doc_id: str) -> Document:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(_read_text(path))
    for node in tree.css("script, style, noscript, template, head > meta"):
        node.decompose()
    title_node = tree.css_first("title")
    title = title_node.text(strip=True) if title_node else ""
    body = tree.body or tree.root
    lines: list[str] = []
    for node in body.css("h1, h2, h3, h4, p, li, pre, blockquote, tr"):
        if node.tag in ("p", "li") and node.parent is not None and node.parent.tag in ("li", "td", "th"):
            continue
        if node.tag == "tr":
            cells = [c.text(strip=True, separator=" ") for c in node.css("td, th")]
            lines.append(" | ".join(c for c in cells if c))
        elif node.tag[0] == "h":
            lines.append("#" * int(node.tag[1]) + " " + node.text(strip=True, separator=" "))
        else:
            prefix = "- " if node.tag == "li" else ""
            lines.append(prefix + node.text(strip=True, separator=" "))
    text = nfc("\n\n".join(line for line in lines if line.strip()))
    title = nfc(title) or _title_from_markdown(text, path.stem)
    return Document(doc_id, title, text)


def load_pdf(path: Path, doc_id: str, max_bytes: int = MAX_BYTES) -> Document:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    if reader.is_encrypted and not reader.decrypt(""):  # an owner password alone still lets anyone read it
        raise DocumentError(f"{path}: encrypted PDF; save an unprotected copy")
    page_texts, size = [], 0
    for page in reader.pages:  # a parse error of any kind is the caller's `path: reason`
        page_texts.append(nfc(page.extract_text() or ""))
        size += len(page_texts[-1].encode())
        if size > max_bytes:
            raise DocumentError(f"{path}: more than {max_bytes} bytes of text (index.max_document_bytes); split it")
    parts, pages, offset = [], [], 0
    for number, page_text in enumerate(page_texts, start=1):
        pages.append((offset, number))
        parts.append(page_text.strip())
        offset += len(parts[-1]) + 2
    text = "\n\n".join(parts)
    if not text.strip():
        raise DocumentError(f"{path}: PDF has no extractable text (scanned?); OCR it first")
    meta_title = (reader.metadata.title if reader.metadata else None) or ""
    first = next((line.strip() for line in text.splitlines() if line.strip()), path.stem)
    return Document(doc_id, nfc(meta_title) or first[:120], text, tuple(pages))


def load_docx(path: Path, doc_id: str, max_bytes: int = MAX_BYTES) -> Document:
    import docx

    with zipfile.ZipFile(path) as archive:  # a zip bomb is refused before anything is unpacked
        unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > max_bytes:
        raise DocumentError(f"{path}: unpacks to {unpacked} bytes, over index.max_document_bytes ({max_bytes})")
    document = docx.Document(str(path))
    lines: list[str] = []
    title = ""
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = docx.text.paragraph.Paragraph(block, document)
            text = para.text.strip()
            if not text:
                continue
            style = (para.style.name if para.style is not None else "") or ""
            if style == "Title" or (style.startswith("Heading") and style[-1:].isdigit()):
                level = 1 if style == "Title" else int(style[-1])
                title = title or text
                lines.append("#" * level + " " + text)
            else:
                lines.append(text)
        elif tag == "tbl":
            table = docx.table.Table(block, document)
            for row in table.rows:
                lines.append(" | ".join(cell.text.strip() for cell in row.cells))
    text = nfc("\n\n".join(lines))
    return Document(doc_id, nfc(title or document.core_properties.title or path.stem), text)


def load_jsonl(path: Path, doc_id_prefix: str, skipped: list[str] | None = None) -> list[Document]:
    """One document a line; a bad line is reported in `skipped` (raised without it) and the others kept."""
    docs = []
    for where, line in jsonl.lines(path, _read_text(path)):
        try:
            row = jsonl.parse(line, where, DocumentError)
            missing = [k for k in ("id", "text") if not isinstance(row.get(k), str) or not row.get(k)]
            if missing:
                raise DocumentError(f"{where}: missing or empty field(s) {', '.join(missing)}")
        except DocumentError as e:
            if skipped is None:
                raise
            skipped.append(str(e))
            continue
        docs.append(Document(f"{doc_id_prefix}#{row['id']}", nfc(row.get("title") or row["id"]), nfc(row["text"])))
    return docs


LOADERS = {
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".txt": load_text,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
    ".docx": load_docx,
}


def iter_files(root: Path, report: LoadReport) -> Iterator[tuple[Path, str]]:
    """(path, doc id) for every supported file under root, sorted; refuses paths that escape root."""
    root = root.resolve()
    for path in sorted(root.rglob("*")):
        if path.is_dir() or path.name.startswith("."):
            continue
        rel = path.relative_to(root).as_posix()
        if path.suffix.lower() not in SUFFIXES:
            report.skipped.append(f"{path}: unsupported file type {path.suffix or '(none)'}")
            continue
        if not path.resolve().is_relative_to(root):
            report.skipped.append(f"{path}: refused, it points outside the corpus root {root}")
            continue
        yield path, rel


def load_file(path: Path, doc_id: str, max_bytes: int = MAX_BYTES, skipped: list[str] | None = None) -> list[Document]:
    size = path.stat().st_size
    if size > max_bytes:
        raise DocumentError(f"{path}: {size} bytes, over index.max_document_bytes ({max_bytes})")
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return load_jsonl(path, doc_id, skipped)
    if suffix in (".pdf", ".docx"):
        return [LOADERS[suffix](path, doc_id, max_bytes)]
    return [LOADERS[suffix](path, doc_id)]


def load_corpus(root: Path, report: LoadReport | None = None, max_bytes: int = MAX_BYTES) -> list[Document]:
    """Every readable document under root; problems go to `report.skipped` as `path: reason`."""
    report = report if report is not None else LoadReport()
    if not root.is_dir():
        raise DocumentError(f"{root}: corpus folder does not exist; set index.documents in config.yaml")
    docs: list[Document] = []
    for path, doc_id in iter_files(root, report):
        try:
            loaded = load_file(path, doc_id, max_bytes, report.skipped)
        except DocumentError as e:
            report.skipped.append(str(e))
            continue
        except Exception as e:  # a parser's failure on one untrusted file (bad zip, XML, PDF, I/O) skips that file
            report.skipped.append(f"{path}: unreadable {path.suffix.lstrip('.').upper() or 'file'} ({type(e).__name__}: {e})")
            continue
        empty = [d for d in loaded if not d.text.strip()]
        report.skipped += [f"{path}: no text in {d.doc_id}" for d in empty]
        docs += [d for d in loaded if d.text.strip()]
    report.loaded = len(docs)
    return docs
