"""Build the instruction-tuning set corpora/instructions/train.jsonl.

Every row teaches the house voice of the Sao Mai internal assistant: polite,
concise Vietnamese (or English when asked in English), grounded only in the
numbered context passages, citing them as [n], and answering with the fixed
refusal phrase when the passages do not contain the answer.

Row categories (all seeded, deterministic):

* handbook_qa        -- hand-written Q&A over the company handbook,
                        gold section + 1-2 distractor passages, gold at a random position;
* law_qa             -- templated questions over a seeded sample of law articles,
                        answered with the article's first sentences;
* refusal_context    -- questions whose answer is in none of 2-3 given passages;
* refusal_no_context -- company-specific questions asked without any context;
* multi_turn         -- hand-written follow-ups with one or two earlier turns;
* english            -- English questions answered in English (incl. refusals);
* meta               -- greetings and questions about the assistant itself.

The hand-written rows (questions, answers, follow-up chains, law question
templates) are read from corpora/sources/instructions/*.jsonl, one file per
group (SOURCE_FIELDS lists each file's fields); a bad row stops the build with
an error naming its file:line and field.

Passages are handbook sections and law articles split into chunks of at most
MAX_PASSAGE_WORDS words, close to what the serving index retrieves; a passage's
title is the document title plus heading path ("Luật Cư trú > Điều 20. ...").
Law articles listed in corpora/eval/held_out_articles.json (written by
build_eval.py) are never used.  At the end the script checks that no eval
question is a near-duplicate of a training instruction (character-trigram
Jaccard similarity < 0.5) and prints the maximum found.
"""

import argparse
import json
import math
import random
import re
import string
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ragtune.finetune.data import Example, char_trigrams, leaked_questions, read_questions
from ragtune.prompt import nfc
from ragtune.rag.chunking import HEADING, markdown_sections
from ragtune.rag.documents import Document, load_markdown

CORPORA = Path(__file__).resolve().parent
if str(CORPORA) not in sys.path:  # source_rows.py sits beside this file, which tests import by path
    sys.path.insert(0, str(CORPORA))
from source_rows import SourceError, check_folder, read_source  # noqa: E402

DOCUMENTS = CORPORA / "documents"
SOURCES = CORPORA / "sources"  # Markdown sources of the non-Markdown handbook documents
INSTRUCTION_SOURCES = SOURCES / "instructions"  # the hand-written rows, see SOURCE_FIELDS
SEED = 20260101

REFUSAL_VI = "Xin lỗi, tài liệu hiện có không chứa thông tin để trả lời câu hỏi này."
REFUSAL_EN = "Sorry, the available documents do not contain the information needed to answer this question."

MAX_PASSAGE_WORDS = 130      # longer sections are split into chunks, like the serving index does
MAX_ANSWER_WORDS = 80        # templated law answers are trimmed to this length
LAW_ARTICLES = 210           # articles sampled for templated law Q&A
SECOND_TEMPLATE_SHARE = 0.2  # share of sampled articles asked with a second phrasing
MAX_OVERLAP = 0.5            # eval-vs-train character-trigram Jaccard limit

# Documents whose sections are safe distractors for refusal rows (they share no facts
# with the questions they are paired with); see build_refusals().
MISC_DOCS = {"company/quy-tac-ung-xu.md", "company/van-phong.html", "company/saomai-books-faq.md"}
SAFE_FOR_MISC = {"company/nghi-phep.md", "company/luong-thuong.md",
                 "company/danh-gia-hieu-suat.md", "company/kham-suc-khoe.txt"}
NO_REFUSAL_DOCS = {"company/hoi-nhap-tuan-dau.md", "company/nghi-viec-ban-giao.md"}

EXCLUDED_LAW_TITLES = re.compile(
    r"^(Hiệu lực|Điều khoản thi hành|Điều khoản áp dụng|Quy định chuyển tiếp|Điều khoản chuyển tiếp"
    r"|Sửa đổi|Quy định chi tiết)")
INSTITUTION_WORDS = {"Bộ", "Ban", "Cục", "Sở", "Tổng", "Quỹ", "Viện", "Trung", "Văn", "Học"}
# Opening words of numbered clauses that are predicates without a subject ("Bảo đảm ...").
PREDICATE_STARTS = ("Yêu cầu", "Ban hành", "Bảo đảm", "Thực hiện", "Cung cấp", "Tuân thủ",
                    "Được ", "Có ", "Không được", "Hỗ trợ", "Ưu tiên", "Khuyến khích", "Tạo ", "Xây dựng",
                    "Tổ chức thực hiện", "Chấp hành", "Tôn trọng", "Tham gia", "Giữ ", "Phối hợp",
                    "Chủ trì", "Hướng dẫn", "Tuyên truyền", "Đào tạo", "Trang bị", "Đề xuất", "Chỉ đạo",
                    "Bồi thường", "Trả ", "Giao ", "Nhận ", "Thanh toán", "Sử dụng", "Chịu ", "Từ chối",
                    "Kiến nghị", "Bảo quản", "Thu thập", "Xử lý", "Phổ biến", "Nâng cao", "Tăng cường",
                    "Đầu tư", "Miễn ", "Giảm ")
PROPER_STARTS = ("Nhà nước", "Nước Cộng hòa", "Chính phủ", "Quốc hội", "Nhân dân", "Tòa án", "Toà án",
                 "Hội đồng", "Ủy ban", "Uỷ ban", "Viện kiểm sát", "Mặt trận", "Công đoàn", "Kiểm toán",
                 "Chủ tịch", "Thủ tướng", "Bộ trưởng", "Chánh án", "Viện trưởng", "Thủ trưởng", "Đảng",
                 "Hiến pháp", "Đoàn Thanh niên", "Việt Nam", "Công an")


# --------------------------------------------------------------------------- passages

@dataclass(frozen=True)
class Passage:
    """One retrievable unit: a handbook section or (a chunk of) a law article."""
    doc_id: str
    key: str      # section heading, or article number for laws
    title: str    # document title plus heading path
    text: str


def sections(doc: Document) -> list[tuple[str, str, str]]:
    """(heading, heading path, body) of each section with text, as the index splits the document
    (ragtune.rag.chunking.markdown_sections); the text under the `#` title has heading ''."""
    out = []
    for start, end, path in markdown_sections(doc.text, doc.title):
        text = doc.text[start:end]
        body = (text.partition("\n")[2] if HEADING.match(text) else text).strip()
        if body:
            out.append(("" if path == doc.title else path.removeprefix(f"{doc.title} > "), path, body))
    return out


# Passages are cut by words, not by the index's splitter (ragtune.rag.chunking.make_splitter, sized in
# the embedder's tokens): the rows stay the same whichever embedder is configured.

def count_words(text: str) -> int:
    """Words that contain a letter or digit (table pipes and rules do not count)."""
    return sum(1 for w in text.split() if re.search(r"\w", w))


def chunk_text(text: str, max_words: int = MAX_PASSAGE_WORDS) -> list[str]:
    """Split text into chunks of at most max_words words: at paragraph boundaries, and inside a
    longer paragraph after a sentence or ';' (or between table rows)."""
    pieces = []  # (separator that precedes the piece in the text, piece)
    for para in text.split("\n\n"):
        if count_words(para) <= max_words:
            parts = [para]
            sep = "\n\n"
        elif para.startswith("|"):
            parts, sep = para.split("\n"), "\n"
        else:
            parts, sep = re.split(r"(?<=[.;])\s+", para), " "
        pieces += [("\n\n" if i == 0 else sep, part) for i, part in enumerate(parts)]
    chunks = []
    for sep, piece in pieces:
        if chunks and count_words(f"{chunks[-1]} {piece}") <= max_words:
            chunks[-1] += sep + piece
        else:
            chunks.append(piece)
    return chunks


def load_company() -> dict[str, list[Passage]]:
    """Handbook sections by doc id; non-Markdown files are read from their Markdown sources."""
    docs = {}
    for path in sorted((DOCUMENTS / "company").iterdir()):
        doc_id = f"company/{path.name}"
        doc = load_markdown(path if path.suffix == ".md" else SOURCES / f"{path.stem}.md", doc_id)
        docs[doc_id] = [Passage(doc_id, heading, title, chunk)
                        for heading, title, body in sections(doc) for chunk in chunk_text(body)]
    return docs


def load_laws(held_out: set[tuple[str, str]]) -> tuple[dict, dict]:
    """Law article chunks by (doc_id, article) and law names by doc id, minus held-out articles."""
    articles, names = {}, {}
    for path in sorted((DOCUMENTS / "laws").glob("*.md")):
        doc_id = f"laws/{path.name}"
        doc = load_markdown(path, doc_id)
        names[doc_id] = doc.title
        for heading, title, body in sections(doc):
            number = re.match(r"Điều (\d+)", heading).group(1)
            if (doc_id, number) not in held_out:
                chunks = chunk_text(body)
                articles[(doc_id, number)] = [Passage(doc_id, number, title, chunk) for chunk in chunks]
    return articles, names


class Corpus:
    """All passages plus lookups and seeded distractor sampling."""

    def __init__(self, held_out: set[tuple[str, str]]):
        self.company = load_company()
        self.articles, self.law_names = load_laws(held_out)
        self.held_out = held_out
        self.company_pool = [p for doc in self.company.values() for p in doc]
        self.law_pool = [p for chunks in self.articles.values() for p in chunks]

    def has_document(self, doc_id: str) -> bool:
        return doc_id in self.company or doc_id in self.law_names

    def chunks(self, doc_id: str, key: str) -> list[Passage]:
        """The chunks of a handbook section or a (not held-out) law article; [] if there is none."""
        if doc_id.startswith("laws/"):
            return self.articles.get((doc_id, key), [])
        return [p for p in self.company.get(doc_id, []) if p.key == key]

    def section(self, doc_id: str, key: str, evidence: str) -> Passage:
        """The chunk of a handbook section or law article that best matches evidence (the answer)."""
        words = set(evidence.lower().split())
        return max(self.chunks(doc_id, key), key=lambda p: len(words & set(p.text.lower().split())))

    def sample(self, rng: random.Random, n: int, ok, law_share: float = 0.25) -> list[Passage]:
        """n distinct passages accepted by ok(), about law_share of them from laws."""
        picked = []
        for _ in range(n):
            pool = self.law_pool if rng.random() < law_share else self.company_pool
            candidates = [p for p in pool if ok(p) and p not in picked]
            picked.append(rng.choice(candidates))
        return picked


def nfc_strings(value):
    """value with every string inside it NFC-normalised."""
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, list):
        return [nfc_strings(v) for v in value]
    if isinstance(value, dict):
        return {k: nfc_strings(v) for k, v in value.items()}
    return value


def as_context(passages: list[Passage]) -> list[dict]:
    """The `context` field of a row."""
    return [{"doc_id": p.doc_id, "title": p.title, "text": p.text} for p in passages]


def context_row(rng: random.Random, instruction: str, answer: str, gold: Passage,
                others: list[Passage], **extra) -> dict:
    """A row whose context holds gold and others in random order; {c} cites gold."""
    passages = [gold] + [p for p in others if p != gold]
    rng.shuffle(passages)
    cite = f"[{passages.index(gold) + 1}]"
    return {"instruction": instruction, **extra, "context": as_context(passages),
            "output": answer.replace("{c}", cite)}


def refusal_row(instruction: str, passages: list[Passage], english: bool = False) -> dict:
    """A row whose context (possibly empty) does not answer the question."""
    row = {"instruction": instruction}
    if passages:
        row["context"] = as_context(passages)
    row["output"] = REFUSAL_EN if english else REFUSAL_VI
    return row


def article_title(passage: Passage) -> str:
    """'Điều kiện đăng ký thường trú' from '... > Điều 20. Điều kiện đăng ký thường trú'; '' if untitled."""
    heading = passage.title.split(" > ", 1)[1]
    return heading.split(". ", 1)[1] if ". " in heading else ""


# --------------------------------------------------------------------------- hand-written rows
# They live in corpora/sources/instructions/, one JSONL file per group.  Each file's fields and what
# they hold, as specs that source_rows.py checks: a field is a non-empty string unless its spec is a
# tuple (one of those strings) or a list (a non-empty list of objects with those fields).

QA_FIELDS = {
    "doc_id": "the document that answers: its path under corpora/documents ('company/nghi-phep.md')",
    "section": "the heading of the section that answers, or the article number of a law ('20')",
    "question": "what the user asks",
    "answer": "the reply in the house voice; ' {c}' marks where the gold passage is cited",
}
LANGUAGES = ("vi", "en")  # English questions are answered, and refused, in English
LAW_PLACEHOLDERS = {"law", "n", "title", "title_lc"}  # filled in from the sampled article
SOURCE_FIELDS = {
    # handbook_qa: gold section + 1-2 distractors; the questions are also reused for refusal rows
    "handbook_qa.jsonl": QA_FIELDS,
    # handbook_qa rows where the user pastes text below the question
    "handbook_with_input.jsonl": {**QA_FIELDS, "input": "what the user pastes below it (a leave request)"},
    # multi_turn: the earlier turns become `history`; the last turn is the one answered
    "multi_turn.jsonl": {"turns": [QA_FIELDS]},
    # english: English questions answered in English, from Vietnamese or English passages
    "english_qa.jsonl": QA_FIELDS,
    # refusal_context (vi) and english (en) refusals
    "out_of_corpus.jsonl": {
        "question": "a plausible question whose answer is in no document",
        "language": LANGUAGES,
        "related_doc": "a document that looks related: the context is a plausible but unhelpful retrieval",
    },
    # meta: greetings and questions about the assistant itself, no context
    "meta.jsonl": {
        "question": "what the user says",
        "answer": "the reply, without citations",
        "language": LANGUAGES,
    },
    # law_qa question phrasings
    "law_templates.jsonl": {
        "template": "a question about a law article, with {law} {n} {title} {title_lc} placeholders",
        # for articles with a title / also for those whose title no other article has / without a title
        "applies_to": ("titled", "unique_title", "untitled"),
    },
}


def row_problems(row: dict, corpus: Corpus) -> Iterator[tuple[str, str]]:
    """(field, what is wrong) for what the shape check cannot see: documents, sections, citations,
    placeholders."""
    if "turns" in row:
        if len(row["turns"]) < 2:
            yield "turns", "needs at least two turns: the history and the question answered"
        turns = [(f"turns[{i}].", turn) for i, turn in enumerate(row["turns"])]
    else:
        turns = [("", row)] if "section" in row else []
    for prefix, turn in turns:
        doc_id, key = turn["doc_id"], turn["section"]
        if not corpus.has_document(doc_id):
            yield prefix + "doc_id", f"is {doc_id!r}, not a document under {DOCUMENTS}"
        elif (doc_id, key) in corpus.held_out:
            yield prefix + "section", f"is article {key} of {doc_id}, held out for evaluation"
        elif not corpus.chunks(doc_id, key):
            kind = "an article number of" if doc_id.startswith("laws/") else "a section heading in"
            yield prefix + "section", f"is {key!r}, not {kind} {doc_id}"
        if turn["answer"].count(" {c}") != 1 or turn["answer"].count("{c}") != 1:
            yield prefix + "answer", "must cite the gold passage once, as ' {c}'"
    if "related_doc" in row and not corpus.has_document(row["related_doc"]):
        yield "related_doc", f"is {row['related_doc']!r}, not a document under {DOCUMENTS}"
    if "template" in row:
        allowed = {"law", "n"} if row["applies_to"] == "untitled" else LAW_PLACEHOLDERS
        try:
            used = {name for _, name, _, _ in string.Formatter().parse(row["template"]) if name is not None}
        except ValueError as e:
            yield "template", f"is not a format string ({e})"
            return
        if used - allowed:
            names = ", ".join("{" + name + "}" for name in sorted(allowed))
            yield "template", f"uses {{{sorted(used - allowed)[0]}}}; the placeholders here are {names}"


def read_sources(folder: Path, corpus: Corpus) -> dict[str, list[dict]]:
    """The checked rows of every source file, by file name."""
    check_folder(folder, SOURCE_FIELDS)
    return {name: read_source(folder / name, fields, lambda row: row_problems(row, corpus))
            for name, fields in SOURCE_FIELDS.items()}


# --------------------------------------------------------------------------- law answers

def lower_first(text: str) -> str:
    """Lower-case the first letter unless the text starts with a proper noun."""
    words = text.split()
    if (text.startswith(PROPER_STARTS) or (len(words[0]) > 1 and words[0].isupper())
            or (words[0] in INSTITUTION_WORDS and len(words) > 1 and words[1][0].isupper())):
        return text
    return text[0].lower() + text[1:]


def sentences(paragraph: str) -> list[str]:
    """Split a paragraph after full stops that are followed by an upper-case letter."""
    pieces = re.split(r"(?<=\.)\s+(?=[^\W\d_])", paragraph)
    merged = []
    for piece in pieces:
        if merged and not piece[0].isupper():
            merged[-1] += " " + piece
        else:
            merged.append(piece)
    return merged


def trim(text: str, max_words: int = MAX_ANSWER_WORDS) -> str:
    """Shorten to max_words at a clause boundary; always end with a full stop."""
    words = text.split()
    if len(words) > max_words:
        cut = " ".join(words[:max_words])
        ends = [m.end() - 1 for m in re.finditer(r";|(?<=[^\s\d])\.(?=\s)", cut)]
        if ends and ends[-1] > len(cut) * 0.4:
            text = cut[:ends[-1]]
        else:
            text = cut.rsplit(",", 1)[0] + " ..."
    text = text.rstrip(" ;:,")
    return text if text.endswith((".", "...")) else text + "."


def article_lead(body: str) -> str:
    """The first one or two sentences of an article, with the list it opens if any."""
    raw = [p.strip() for p in body.split("\n\n") if p.strip()]
    numbered = bool(re.match(r"\d+\.\s", raw[0]))
    first = re.sub(r"^\d+\.\s+", "", raw[0])
    if first.endswith(":"):
        items = []
        for para in raw[1:]:
            if numbered and re.match(r"\d+\.\s", para):
                break
            items.append(para)
        return trim(" ".join([first] + items))
    lead = sentences(first)
    text = lead[0]
    following = re.sub(r"^\d+\.\s+", "", raw[1]) if len(raw) > 1 else ""
    if len(lead) > 1 and len((text + " " + lead[1]).split()) <= 60:
        text += " " + lead[1]
    elif (len(lead) == 1 and len(text.split()) < 30 and following and not following.endswith(":")
          and len((text + " " + following).split()) <= 60):
        text += " " + following
    return trim(text)


def clause_list(body: str) -> str:
    """Numbered clauses of an article joined into one sentence: 'a; b; c.'"""
    clauses = []
    for para in body.split("\n\n"):
        match = re.match(r"^\d+\.\s+(.*)", para.strip(), flags=re.S)
        if not match:
            break
        clauses.append(lower_first(match.group(1).rstrip(" .;")))
    return trim("; ".join(clauses))


def law_answer(law: str, number: str, title: str, body: str) -> str:
    """'Theo Điều n <law> {c}, ...' built from the article's opening text."""
    lead = article_lead(body)
    if title and re.match(r"1\.\s", body) and lead.startswith(PREDICATE_STARTS) and ":" not in lead:
        return f"Theo Điều {number} {law} {{c}}, {lower_first(title)} gồm: {clause_list(body)}"
    return f"Theo Điều {number} {law} {{c}}, {lower_first(lead)}"


# --------------------------------------------------------------------------- builders

def build_handbook(corpus: Corpus, rng: random.Random, handbook: list[dict],
                   with_input: list[dict]) -> list[dict]:
    """Hand-written handbook Q&A, plus the rows that carry an extra `input`."""
    rows = []
    for qa in handbook + with_input:
        gold = corpus.section(qa["doc_id"], qa["section"], qa["answer"])
        others = corpus.sample(rng, rng.choice([1, 2]), lambda p, d=qa["doc_id"]: p.doc_id != d)
        extra = {"input": qa["input"]} if "input" in qa else {}
        rows.append(context_row(rng, qa["question"], qa["answer"], gold, others, **extra))
    return rows


def eligible_articles(corpus: Corpus) -> dict[str, list[tuple[str, str]]]:
    """Law articles usable for templated Q&A, grouped by law."""
    by_law: dict[str, list[tuple[str, str]]] = {}
    for (doc_id, number), chunks in corpus.articles.items():
        if EXCLUDED_LAW_TITLES.match(article_title(chunks[0])) or len(chunks[0].text.split()) < 15:
            continue
        if len(article_lead(chunks[0].text).split()) >= 8:
            by_law.setdefault(doc_id, []).append((doc_id, number))
    return by_law


def law_question_rows(corpus: Corpus, rng: random.Random,
                      templates: list[dict]) -> list[tuple[str, str, Passage]]:
    """(question, answer, gold) for a seeded, sqrt-stratified sample of articles."""
    phrasings = {use: [t["template"] for t in templates if t["applies_to"] == use]
                 for use in SOURCE_FIELDS["law_templates.jsonl"]["applies_to"]}
    by_law = eligible_articles(corpus)
    weights = {doc: math.sqrt(len(arts)) for doc, arts in by_law.items()}
    titles = [article_title(corpus.articles[a][0]) for arts in by_law.values() for a in arts]
    out = []
    for doc_id in sorted(by_law):
        quota = round(LAW_ARTICLES * weights[doc_id] / sum(weights.values()))
        for key in sorted(rng.sample(by_law[doc_id], min(quota, len(by_law[doc_id]))),
                          key=lambda a: int(a[1])):
            gold = corpus.articles[key][0]
            law, number, title = corpus.law_names[doc_id], key[1], article_title(gold)
            if title:
                usable = phrasings["titled"] + (phrasings["unique_title"] if titles.count(title) == 1 else [])
            else:
                usable = phrasings["untitled"]
            chosen = rng.sample(usable, 2 if rng.random() < SECOND_TEMPLATE_SHARE else 1)
            answer = law_answer(law, number, title, gold.text)
            for template in chosen:
                title_lc = lower_first(title) if title else ""
                question = template.format(law=law, n=number, title=title, title_lc=title_lc)
                out.append((question[0].upper() + question[1:], answer, gold))
    return out


def build_laws(corpus: Corpus, rng: random.Random, law_qs: list) -> list[dict]:
    """Templated law Q&A with distractors from the same law, other laws and the handbook."""
    rows = []
    for question, answer, gold in law_qs:
        others = corpus.sample(rng, rng.choice([1, 2]),
                               lambda p, g=gold: (p.doc_id, p.key) != (g.doc_id, g.key), law_share=0.6)
        rows.append(context_row(rng, question, answer, gold, others))
    return rows


def build_refusals(corpus: Corpus, rng: random.Random, law_qs: list, handbook: list[dict],
                   out_of_corpus: list[dict]) -> tuple[list[dict], list[dict]]:
    """Refusals with unrelated context, and company questions asked with no context."""
    def company_ok(doc_id):
        allowed = SAFE_FOR_MISC if doc_id in MISC_DOCS else MISC_DOCS
        return lambda p: p.doc_id.startswith("laws/") or p.doc_id in allowed

    refusable = [(qa["doc_id"], qa["question"]) for qa in handbook if qa["doc_id"] not in NO_REFUSAL_DOCS]
    with_context = []
    for doc_id, question in rng.sample(refusable, 30):
        with_context.append(refusal_row(question, corpus.sample(rng, rng.choice([2, 3]), company_ok(doc_id))))
    for question, _, gold in rng.sample(law_qs, 20):
        passages = corpus.sample(rng, rng.choice([2, 3]), lambda p, g=gold: p.doc_id != g.doc_id,
                                 law_share=0.5)
        with_context.append(refusal_row(question, passages))
    for row in out_of_corpus:
        if row["language"] == "vi":
            with_context.append(refusal_row(row["question"], hinted_context(corpus, rng, row["related_doc"])))

    no_context = [refusal_row(q, []) for q in rng.sample([qa["question"] for qa in handbook], 16)]
    return with_context, no_context


def hinted_context(corpus: Corpus, rng: random.Random, hint: str) -> list[Passage]:
    """One passage from the hinted document plus one or two random ones."""
    pool = corpus.law_pool if hint.startswith("laws/") else corpus.company_pool
    first = rng.choice([p for p in pool if p.doc_id == hint])
    return [first] + corpus.sample(rng, rng.choice([1, 2]), lambda p: p != first, law_share=0.3)


def build_multi_turn(corpus: Corpus, rng: random.Random, chains: list[dict]) -> list[dict]:
    """Follow-up questions whose earlier turns are given as history."""
    rows = []
    for chain in chains:
        *earlier, last = chain["turns"]
        history = []
        for turn in earlier:
            history += [{"role": "user", "content": turn["question"]},
                        {"role": "assistant", "content": turn["answer"].replace(" {c}", "")}]
        gold = corpus.section(last["doc_id"], last["section"], last["answer"])
        earlier_gold = [corpus.section(t["doc_id"], t["section"], t["answer"]) for t in earlier]
        others = list(dict.fromkeys(p for p in earlier_gold if p != gold))[:2]
        others += corpus.sample(rng, max(0, rng.choice([2, 3]) - 1 - len(others)),
                                lambda p, d=last["doc_id"]: p.doc_id != d)
        rows.append(context_row(rng, last["question"], last["answer"], gold, others, history=history))
    return rows


def build_english(corpus: Corpus, rng: random.Random, english: list[dict],
                  out_of_corpus: list[dict]) -> list[dict]:
    """English questions: grounded answers, plus refusals with unrelated context."""
    rows = []
    for qa in english:
        gold = corpus.section(qa["doc_id"], qa["section"], qa["answer"])
        others = corpus.sample(rng, rng.choice([1, 2]), lambda p, d=qa["doc_id"]: p.doc_id != d)
        rows.append(context_row(rng, qa["question"], qa["answer"], gold, others))
    for row in out_of_corpus:
        if row["language"] == "en":
            passages = hinted_context(corpus, rng, row["related_doc"])
            rows.append(refusal_row(row["question"], passages, english=True))
    refusable = [qa for qa in english
                 if qa["doc_id"].startswith("company/") and qa["doc_id"] not in NO_REFUSAL_DOCS]
    for qa in rng.sample(refusable, 3):
        allowed = SAFE_FOR_MISC if qa["doc_id"] in MISC_DOCS else MISC_DOCS
        passages = corpus.sample(rng, 2, lambda p, a=allowed: p.doc_id.startswith("laws/") or p.doc_id in a)
        rows.append(refusal_row(qa["question"], passages, english=True))
    return rows


# --------------------------------------------------------------------------- overlap check

def user_turns(rows: list[dict], out: Path) -> list[Example]:
    """Every question a written row asks, its instruction and the user turns of its history, as
    Examples whose source is the row's line in out (for ragtune.finetune.data.leaked_questions)."""
    turns = []
    for lineno, row in enumerate(rows, start=1):
        asked = [row["instruction"]] + [t["content"] for t in row.get("history", []) if t["role"] == "user"]
        turns += [Example(question, row["output"], source=f"{out}:{lineno}") for question in asked]
    return turns


def max_overlap(eval_questions: list[str], train_questions: list[str]) -> tuple[float, str, str]:
    """Highest character-trigram Jaccard similarity between an eval and a training question."""
    train_grams = [(t, char_trigrams(t)) for t in sorted(set(train_questions))]
    best = (0.0, "", "")
    for question in eval_questions:
        grams = char_trigrams(question)
        for text, other in train_grams:
            score = len(grams & other) / len(grams | other)
            if score > best[0]:
                best = (score, question, text)
    return best


# --------------------------------------------------------------------------- main

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(CORPORA / "instructions" / "train.jsonl"))
    parser.add_argument("--held-out", default=str(CORPORA / "eval" / "held_out_articles.json"))
    parser.add_argument("--eval", default=str(CORPORA / "eval" / "questions.jsonl"))
    parser.add_argument("--sources", default=str(INSTRUCTION_SOURCES), help="folder of the hand-written rows")
    args = parser.parse_args()

    held = json.loads(Path(args.held_out).read_text(encoding="utf-8"))
    corpus = Corpus({(item["doc_id"], item["article"]) for item in held})
    src = read_sources(Path(args.sources), corpus)
    handbook, out_of_corpus, meta = src["handbook_qa.jsonl"], src["out_of_corpus.jsonl"], src["meta.jsonl"]
    rng = random.Random(SEED)
    law_qs = law_question_rows(corpus, rng, src["law_templates.jsonl"])
    refusal_context, refusal_no_context = build_refusals(corpus, rng, law_qs, handbook, out_of_corpus)
    categories = {
        "handbook_qa": build_handbook(corpus, rng, handbook, src["handbook_with_input.jsonl"]),
        "law_qa": build_laws(corpus, rng, law_qs),
        "refusal_context": refusal_context,
        "refusal_no_context": refusal_no_context,
        "multi_turn": build_multi_turn(corpus, rng, src["multi_turn.jsonl"]),
        "english": build_english(corpus, rng, src["english_qa.jsonl"], out_of_corpus),
        "meta": [{"instruction": row["question"], "output": row["answer"]} for row in meta],
    }
    rows = [nfc_strings(row) for cat_rows in categories.values() for row in cat_rows]
    rng.shuffle(rows)

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")

    total = len(rows)
    print(f"wrote {total} rows to {out}")
    for name, cat_rows in categories.items():
        print(f"  {name:<19} {len(cat_rows):4d}  {100 * len(cat_rows) / total:5.1f}%")
    refusals = sum(row["output"] in (REFUSAL_VI, REFUSAL_EN) for row in rows)
    english = len(categories["english"]) + sum(row["language"] == "en" for row in meta)
    print(f"  refusal outputs     {refusals:4d}  {100 * refusals / total:5.1f}%")
    print(f"  English rows        {english:4d}  {100 * english / total:5.1f}%")

    eval_questions = [q.question for q in read_questions(Path(args.eval))]
    asked = user_turns(rows, out)
    score, question, text = max_overlap(eval_questions, [e.question for e in asked])
    print(f"max eval/train trigram Jaccard: {score:.3f} ({question!r} ~ {text!r})")
    leaks = leaked_questions(asked, eval_questions, threshold=MAX_OVERLAP)
    if leaks:
        raise SystemExit("eval questions too similar to training questions:\n" + "\n".join(leaks))


if __name__ == "__main__":
    try:
        main()
    except SourceError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
