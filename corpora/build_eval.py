"""Write the held-out evaluation set corpora/eval/questions.jsonl.

The questions and reference answers are hand-written and read from corpora/sources/eval/*.jsonl,
one file per group (SOURCE_FIELDS lists each file's fields); a bad row stops the build with an
error naming its file:line and field.  They ask about facts that the training builder
(build_instructions.py) never asks about:

* handbook questions use facts that no training row asks for;
* law questions use articles listed in corpora/eval/held_out_articles.json,
  which this script writes and build_instructions.py excludes from training;
* unanswerable questions are plausible but their facts appear in no document,
  so the reference is the fixed refusal phrase; most are near misses, naming the
  document that holds a neighbouring fact but not the one asked (`near_miss`).

Every answerable question names its gold section as the index names it (the heading path that
ragtune.rag.chunking gives the document's chunks) and the facts a correct answer must contain; the
script checks that the section is one of the document's and that each fact is written in it and in
the reference (after NFC, ignoring case and runs of whitespace, not inside a longer word or number).

Each output row: {"question", "reference", "sources", "answerable"}, plus "facts" and "section"
when answerable, "near_miss" when an unanswerable row names one.
"""

import argparse
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from ragtune.prompt import nfc
from ragtune.rag.chunking import markdown_sections
from ragtune.rag.documents import Document, LoadReport, load_corpus

CORPORA = Path(__file__).resolve().parent
if str(CORPORA) not in sys.path:  # source_rows.py sits beside this file, which tests import by path
    sys.path.insert(0, str(CORPORA))
from source_rows import OptionalField, SourceError, check_folder, read_source  # noqa: E402

DOCUMENTS = CORPORA / "documents"
EVAL_SOURCES = CORPORA / "sources" / "eval"  # the hand-written rows, see SOURCE_FIELDS

REFUSAL = {
    "vi": "Xin lỗi, tài liệu hiện có không chứa thông tin để trả lời câu hỏi này.",
    "en": "Sorry, the available documents do not contain the information needed to answer this question.",
}
MAX_FACTS = 3       # a question names 1 to 3 facts: what a user checks, not a summary of the answer
MAX_FACT_WORDS = 8  # a fact is a short span (a number, an amount, a form code, a role, a few words)

# --------------------------------------------------------------------------- hand-written rows
# They live in corpora/sources/eval/, one JSONL file per group, in output order.  Each file's fields
# and what they hold, as specs that source_rows.py checks: a field is a required non-empty string
# unless its spec says otherwise (a tuple: one of those strings; checked_facts: the facts).


def checked_facts(value, where: str, name: str) -> list:
    """The facts field, NFC-normalised, if it is 1 to MAX_FACTS short strings or lists of them."""
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_FACTS:
        raise SourceError(f"{where}: field '{name}' must be a list of 1 to {MAX_FACTS} facts")
    facts = []
    for i, fact in enumerate(value):
        alternatives = [fact] if isinstance(fact, str) else fact
        if not (isinstance(alternatives, list) and alternatives
                and all(isinstance(a, str) and a.strip() for a in alternatives)):
            raise SourceError(f"{where}: field '{name}[{i}]' must be a non-empty string or a list of them")
        if any(len(a.split()) > MAX_FACT_WORDS for a in alternatives):
            raise SourceError(f"{where}: field '{name}[{i}]' has a wording over {MAX_FACT_WORDS} words; "
                              "a fact is a short span")
        facts.append(nfc(fact) if isinstance(fact, str) else [nfc(a) for a in fact])
    return facts


ANSWERABLE_FIELDS = {
    "doc_id": "the document that answers: its path under corpora/documents ('company/nghi-phep.md')",
    "section": "the gold section's heading path as the index names it "
               "('Luật Cư trú > Điều 27. Điều kiện đăng ký tạm trú'); the title alone for a document "
               "without '#' sections (the shipped .pdf and .txt ones)",
    "question": "what the user asks",
    "reference": "a correct answer in the house voice, without citations",
    # each fact: a short span a correct answer must contain, written as in the gold section; or a list
    # of alternative wordings, any one of which counts and one of which is written there
    "facts": checked_facts,
}
SOURCE_FIELDS = {
    # answerable questions about the company handbook
    "handbook.jsonl": ANSWERABLE_FIELDS,
    # answerable questions about laws; the article of each section is held out of the training data
    "laws.jsonl": ANSWERABLE_FIELDS,
    # questions no document answers; the reference is the refusal phrase of their language
    "unanswerable.jsonl": {
        "question": "a plausible question whose answer is in no document",
        "language": tuple(REFUSAL),
        # optional: the older, off-topic unanswerable questions have no near miss
        "near_miss": OptionalField(
            "the document that holds a neighbouring fact but not the one asked (its doc id)"),
    },
}
ARTICLE = re.compile(r"> Điều (\d+)(?:\.|$)")  # the article number at the end of a law section's path


def loose(text: str) -> str:
    """Case-insensitive, whitespace-collapsed NFC: how a fact is looked for in its section."""
    return " ".join(nfc(text).casefold().split())


def occurs(fact: str, text: str) -> bool:
    """fact is in text (both loose), not inside a longer word or number: '7 ngày' is not in '17 ngày'."""
    fact = loose(fact)
    before = r"(?<!\w)" if re.match(r"\w", fact) else ""
    after = r"(?!\w)" if re.search(r"\w$", fact) else ""
    return re.search(before + re.escape(fact) + after, loose(text)) is not None


class Corpus:
    """The documents as the index loads them, and the text of each of their sections by heading path."""

    def __init__(self, root: Path):
        report = LoadReport()
        self.docs: dict[str, Document] = {d.doc_id: d for d in load_corpus(root, report)}
        if report.skipped:
            raise SourceError(f"{root}: cannot read {report.skipped[0]}")
        self._sections: dict[str, dict[str, str]] = {}

    def sections(self, doc_id: str) -> dict[str, str]:
        """{heading path: text} of a document (a path that occurs twice gets both texts)."""
        if doc_id not in self._sections:
            doc, texts = self.docs[doc_id], {}
            for start, end, path in markdown_sections(doc.text, doc.title):
                texts[path] = texts.get(path, "") + "\n" + doc.text[start:end]
            self._sections[doc_id] = texts
        return self._sections[doc_id]


def row_problems(row: dict, corpus: Corpus, law: bool) -> Iterator[tuple[str, str]]:
    """(field, what is wrong) for what the shape check cannot see: documents, sections, facts."""
    if "near_miss" in row and row["near_miss"] not in corpus.docs:
        yield "near_miss", f"is {row['near_miss']!r}, not a document under {DOCUMENTS}"
    if "doc_id" not in row:
        return
    doc_id, section = row["doc_id"], row["section"]
    if doc_id not in corpus.docs or doc_id.startswith("laws/") != law:
        kind = "law" if law else "handbook document"
        yield "doc_id", f"is {doc_id!r}, not a {kind} under {DOCUMENTS}"
        return
    sections = corpus.sections(doc_id)
    if section not in sections:
        near = [path for path in sections if path.rsplit(" > ", 1)[-1] == section.rsplit(" > ", 1)[-1]]
        hint = f"; did you mean {near[0]!r}?" if near else f"; the first is {next(iter(sections))!r}"
        yield "section", f"is {section!r}, not a heading path in {doc_id}{hint}"
        return
    if law and not ARTICLE.search(section):
        yield "section", f"is {section!r}, not an article ('... > Điều <n>. <title>')"
    for i, fact in enumerate(row["facts"]):
        alternatives = [fact] if isinstance(fact, str) else fact
        if not any(occurs(a, sections[section]) for a in alternatives):
            yield f"facts[{i}]", f"is {fact!r}; no wording of it is in the section {section!r}"
        elif not any(occurs(a, row["reference"]) for a in alternatives):
            yield f"facts[{i}]", f"is {fact!r}; no wording of it is in the reference (it must pass its facts)"


def read_sources(folder: Path, corpus: Corpus) -> dict[str, list[dict]]:
    """The checked rows of every source file, by file name; each row has its `where` (file:line)."""
    check_folder(folder, SOURCE_FIELDS)
    return {name: read_source(folder / name, fields,
                              lambda row, law=name == "laws.jsonl": row_problems(row, corpus, law))
            for name, fields in SOURCE_FIELDS.items()}


def check_unique(src: dict[str, list[dict]]) -> None:
    """SourceError naming both lines if two rows ask the same question."""
    seen = {}
    for row in (row for rows in src.values() for row in rows):
        if row["question"] in seen:
            first = seen[row["question"]]
            raise SourceError(f"{row['where']}: field 'question' repeats the question of {first}")
        seen[row["question"]] = row["where"]


# --------------------------------------------------------------------------- build

def build_rows(src: dict[str, list[dict]]) -> list[dict]:
    """All evaluation rows, in a fixed order: handbook, laws, unanswerable (as in their files)."""
    rows = [{"question": r["question"], "reference": r["reference"], "sources": [r["doc_id"]],
             "answerable": True, "facts": r["facts"], "section": r["section"]}
            for r in src["handbook.jsonl"] + src["laws.jsonl"]]
    rows += [{"question": r["question"], "reference": REFUSAL[r["language"]], "sources": [],
              "answerable": False, **({"near_miss": r["near_miss"]} if "near_miss" in r else {})}
             for r in src["unanswerable.jsonl"]]
    return rows


def held_out_articles(laws: list[dict], corpus: Corpus) -> list[dict]:
    """The law articles the eval asks about, sorted by law and number."""
    articles = {(r["doc_id"], ARTICLE.search(r["section"]).group(1)) for r in laws}
    return [{"doc_id": doc_id, "law": corpus.docs[doc_id].title, "article": article}
            for doc_id, article in sorted(articles, key=lambda da: (da[0], int(da[1])))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(CORPORA / "eval" / "questions.jsonl"))
    parser.add_argument("--held-out", default=str(CORPORA / "eval" / "held_out_articles.json"))
    parser.add_argument("--sources", default=str(EVAL_SOURCES), help="folder of the hand-written rows")
    args = parser.parse_args()

    corpus = Corpus(DOCUMENTS)
    src = read_sources(Path(args.sources), corpus)
    check_unique(src)
    rows = build_rows(src)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")

    held_out = held_out_articles(src["laws.jsonl"], corpus)
    Path(args.held_out).write_text(
        "[\n" + ",\n".join(json.dumps(item, ensure_ascii=False) for item in held_out) + "\n]\n",
        encoding="utf-8")

    answerable = sum(row["answerable"] for row in rows)
    facts = sum(len(row.get("facts", [])) for row in rows)
    near_misses = sum("near_miss" in row for row in rows)
    print(f"wrote {len(rows)} eval rows: {len(src['handbook.jsonl'])} handbook, {len(src['laws.jsonl'])} laws "
          f"({answerable} answerable, {facts} facts), {len(rows) - answerable} unanswerable "
          f"({near_misses} near misses); {len(held_out)} held-out articles")


if __name__ == "__main__":
    try:
        main()
    except SourceError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
