"""Write the held-out evaluation set corpora/eval/questions.jsonl.

The questions and reference answers are hand-written and read from corpora/sources/eval/*.jsonl,
one file per group (SOURCE_FIELDS lists each file's fields); a bad row stops the build with an
error naming its file:line and field.  They ask about facts that the training builder
(build_instructions.py) never asks about:

* handbook questions use facts that no training row asks for;
* law questions use articles listed in corpora/eval/held_out_articles.json,
  which this script writes and build_instructions.py excludes from training;
* unanswerable questions are plausible but their facts appear in no document,
  so the reference is the fixed refusal phrase.

Each output row: {"question", "reference", "sources", "answerable"}.
"""

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from ragtune.prompt import nfc

CORPORA = Path(__file__).resolve().parent
DOCUMENTS = CORPORA / "documents"
EVAL_SOURCES = CORPORA / "sources" / "eval"  # the hand-written rows, see SOURCE_FIELDS

REFUSAL = {
    "vi": "Xin lỗi, tài liệu hiện có không chứa thông tin để trả lời câu hỏi này.",
    "en": "Sorry, the available documents do not contain the information needed to answer this question.",
}

# --------------------------------------------------------------------------- hand-written rows
# They live in corpora/sources/eval/, one JSONL file per group, in output order.  Each file's fields
# and what they hold: a field is a non-empty string unless its spec is a tuple (one of those strings).

SOURCE_FIELDS = {
    # answerable questions about the company handbook
    "handbook.jsonl": {
        "doc_id": "the document that answers: its path under corpora/documents ('company/nghi-phep.md')",
        "question": "what the user asks",
        "reference": "a correct answer in the house voice, without citations",
    },
    # answerable questions about laws; their articles are held out of the training data
    "laws.jsonl": {
        "doc_id": "the law that answers ('laws/luat-cu-tru.md')",
        "article": "the number of the article that answers ('27')",
        "question": "what the user asks",
        "reference": "a correct answer in the house voice, without citations",
    },
    # questions no document answers; the reference is the refusal phrase of their language
    "unanswerable.jsonl": {
        "question": "a plausible question whose answer is in no document",
        "language": tuple(REFUSAL),
    },
}


class SourceError(ValueError):
    """A hand-written row is unusable; the message names its file:line and the field."""


def checked(row, fields: dict, where: str) -> dict:
    """row, NFC-normalised, if it has exactly the fields described (see SOURCE_FIELDS); else SourceError."""
    if not isinstance(row, dict):
        raise SourceError(f"{where}: a row must be a JSON object")
    unknown = [key for key in row if key not in fields]
    if unknown:
        raise SourceError(f"{where}: unknown field '{unknown[0]}'; fields: {', '.join(fields)}")
    missing = [key for key in fields if key not in row]
    if missing:
        raise SourceError(f"{where}: field '{missing[0]}' is missing")
    for key, value in row.items():
        if not isinstance(value, str) or not value.strip():
            raise SourceError(f"{where}: field '{key}' must be a non-empty string")
        if isinstance(fields[key], tuple) and value not in fields[key]:
            raise SourceError(f"{where}: field '{key}' is {value!r}; expected one of {', '.join(fields[key])}")
    return {key: nfc(value) for key, value in row.items()}


def row_problems(row: dict) -> Iterator[tuple[str, str]]:
    """(field, what is wrong) for what the shape check cannot see: documents and articles."""
    if "doc_id" in row and not (DOCUMENTS / row["doc_id"]).is_file():
        yield "doc_id", f"is {row['doc_id']!r}, not a document under {DOCUMENTS}"
    elif "article" in row:
        text = (DOCUMENTS / row["doc_id"]).read_text(encoding="utf-8")
        if f"\n## Điều {row['article']}." not in text and f"\n## Điều {row['article']}\n" not in text:
            yield "article", f"is {row['article']!r}, not an article number of {row['doc_id']}"


def read_source(path: Path, fields: dict) -> list[dict]:
    """The checked rows of one source file, each with `where` (its file:line) added."""
    if not path.is_file():
        raise SourceError(f"{path}: not found; {path.parent} holds the files {', '.join(SOURCE_FIELDS)}")
    rows = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as e:
            raise SourceError(f"{where}: invalid JSON ({e.msg})") from None
        row = checked(raw, fields, where)
        for field, problem in row_problems(row):
            raise SourceError(f"{where}: field '{field}' {problem}")
        rows.append({**row, "where": where})
    return rows


def read_sources(folder: Path) -> dict[str, list[dict]]:
    """The checked rows of every source file, by file name."""
    extra = sorted(p.name for p in folder.glob("*.jsonl") if p.name not in SOURCE_FIELDS)
    if extra:
        raise SourceError(f"{folder / extra[0]}: not a source file; the files are {', '.join(SOURCE_FIELDS)}")
    return {name: read_source(folder / name, fields) for name, fields in SOURCE_FIELDS.items()}


# --------------------------------------------------------------------------- build

def law_title(doc_id: str) -> str:
    """The '# ' title line of a law document."""
    return (DOCUMENTS / doc_id).read_text(encoding="utf-8").split("\n", 1)[0][2:]


def build_rows(src: dict[str, list[dict]]) -> list[dict]:
    """All evaluation rows, in a fixed order: handbook, laws, unanswerable (as in their files)."""
    rows = [{"question": r["question"], "reference": r["reference"], "sources": [r["doc_id"]], "answerable": True}
            for r in src["handbook.jsonl"] + src["laws.jsonl"]]
    rows += [{"question": r["question"], "reference": REFUSAL[r["language"]], "sources": [], "answerable": False}
             for r in src["unanswerable.jsonl"]]
    return rows


def check_unique(src: dict[str, list[dict]]) -> None:
    """SourceError naming both lines if two rows ask the same question."""
    seen = {}
    for row in (row for rows in src.values() for row in rows):
        if row["question"] in seen:
            raise SourceError(f"{row['where']}: field 'question' repeats the question of {seen[row['question']]}")
        seen[row["question"]] = row["where"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(CORPORA / "eval" / "questions.jsonl"))
    parser.add_argument("--held-out", default=str(CORPORA / "eval" / "held_out_articles.json"))
    parser.add_argument("--sources", default=str(EVAL_SOURCES), help="folder of the hand-written rows")
    args = parser.parse_args()

    src = read_sources(Path(args.sources))
    check_unique(src)
    rows = build_rows(src)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")

    articles = sorted({(r["doc_id"], r["article"]) for r in src["laws.jsonl"]}, key=lambda da: (da[0], int(da[1])))
    held_out = [{"doc_id": doc_id, "law": law_title(doc_id), "article": article} for doc_id, article in articles]
    Path(args.held_out).write_text(
        "[\n" + ",\n".join(json.dumps(item, ensure_ascii=False) for item in held_out) + "\n]\n",
        encoding="utf-8")

    answerable = sum(row["answerable"] for row in rows)
    print(f"wrote {len(rows)} eval rows: {len(src['handbook.jsonl'])} handbook, {len(src['laws.jsonl'])} laws "
          f"({answerable} answerable), {len(rows) - answerable} unanswerable; "
          f"{len(held_out)} held-out articles")


if __name__ == "__main__":
    try:
        main()
    except SourceError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
