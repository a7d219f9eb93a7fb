"""Chunking: Markdown sections first, then langchain's recursive splitter sized in embedder tokens.

Every chunk keeps its document id, title, heading path (`Luật Cư trú > Điều 20. ...`), page and the
exact character span it covers in the document text.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from dataclasses import asdict, dataclass

from ragtune.rag.documents import Document

HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


@dataclass(frozen=True)
class Chunk:
    chunk_id: int  # stable: the same document text gives the same ids (FAISS IndexIDMap2 keys)
    doc_id: str
    title: str
    heading: str
    page: int | None
    start: int  # character span in the document text
    end: int
    text: str

    def embed_text(self) -> str:
        """What the embedder and BM25 see: the heading path gives a bare paragraph its topic."""
        return f"{self.heading}\n{self.text}" if self.heading else self.text

    def to_dict(self) -> dict:
        return asdict(self)


def stable_chunk_id(doc_id: str, start: int, text: str) -> int:
    digest = hashlib.blake2b(f"{doc_id}\0{start}\0{text}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") & ((1 << 63) - 1)  # FAISS ids are signed int64


def markdown_sections(text: str, title: str) -> list[tuple[int, int, str]]:
    """(start, end, heading path) of each section; headings deeper than the path's top replace siblings."""
    marks = [(m.start(), len(m.group(1)), m.group(2).strip()) for m in HEADING.finditer(text)]
    sections, path = [], {}
    starts = [0] + [pos for pos, _, _ in marks]
    levels = [None] + marks
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        if levels[i] is not None:
            _, level, name = levels[i]
            path = {lvl: n for lvl, n in path.items() if lvl < level}
            path[level] = name
        names = [path[lvl] for lvl in sorted(path)]
        if names and names[0] != title:
            names.insert(0, title)
        heading = " > ".join(names) if names else title
        if text[start:end].strip():
            sections.append((start, end, heading))
    return sections


def page_at(pages: tuple[tuple[int, int], ...], offset: int) -> int | None:
    if not pages:
        return None
    i = bisect.bisect_right([start for start, _ in pages], offset) - 1
    return pages[max(i, 0)][1]


def make_splitter(tokenizer, chunk_tokens: int, overlap_tokens: int):
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    def token_count(text: str) -> int:  # verbose=False: long sections are measured, not fed to the model
        return len(tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])

    return RecursiveCharacterTextSplitter(
        length_function=token_count,
        chunk_size=chunk_tokens,
        chunk_overlap=overlap_tokens,
        separators=["\n\n", "\n", ". ", "; ", ", ", " ", ""],
        add_start_index=True,
        strip_whitespace=True,
    )


def chunk_document(doc: Document, splitter) -> list[Chunk]:
    chunks = []
    for sec_start, sec_end, heading in markdown_sections(doc.text, doc.title):
        section = doc.text[sec_start:sec_end]
        for piece in splitter.create_documents([section]):
            text = piece.page_content
            start = sec_start + piece.metadata["start_index"]
            if HEADING.fullmatch(text.strip()):
                continue  # a heading alone carries no content; it is in every chunk's heading path
            chunks.append(
                Chunk(
                    chunk_id=stable_chunk_id(doc.doc_id, start, text),
                    doc_id=doc.doc_id,
                    title=doc.title,
                    heading=heading,
                    page=page_at(doc.pages, start),
                    start=start,
                    end=start + len(text),
                    text=text,
                )
            )
    return chunks
