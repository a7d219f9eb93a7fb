"""Instruction data: read and validate JSONL rows, clean them, render and tokenize them for training.

Row formats (docs/design.md): `{"instruction", "output", "input"?, "context"?, "history"?}` or
`{"messages": [{"role", "content"}, ...]}` ending with the assistant's answer. Bad rows are
reported as `file:line: reason`; cleaning is counted in a report, never silent.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ragtune import jsonl
from ragtune.errors import RagtuneError
from ragtune.prompt import Passage, build_messages, render_example

IGNORE_INDEX = -100
# C0/C1 control characters except tab and newline, and the Unicode replacement character.
BROKEN_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffd]")


class DataError(RagtuneError, ValueError):
    """The instruction data cannot be used; the message names the file (and line)."""


@dataclass(frozen=True)
class Example:
    question: str
    answer: str
    passages: tuple[Passage, ...] = ()
    history: tuple[tuple[str, str], ...] = ()  # (role, content)
    source: str = ""  # file:line

    def messages(self, system_prompt: str) -> list[dict[str, str]]:
        history = [{"role": r, "content": c} for r, c in self.history]
        return build_messages(self.question, self.passages, history, system_prompt)


@dataclass
class DataReport:
    rows_read: int = 0
    kept: int = 0
    dropped: Counter = field(default_factory=Counter)  # reason -> count
    cleaned: Counter = field(default_factory=Counter)  # fix -> count
    rendered: Counter = field(default_factory=Counter)  # how rows got their context (finetune/grounding.py)
    errors: list[str] = field(default_factory=list)  # file:line: reason

    def to_dict(self) -> dict:
        return {
            "rows_read": self.rows_read,
            "kept": self.kept,
            "dropped": dict(self.dropped),
            "cleaned": dict(self.cleaned),
            "rendered": dict(self.rendered),
            "errors": self.errors[:50],
        }


def clean_text(text: str, report: DataReport | None = None) -> str:
    """NFC, broken/control characters removed, whitespace trimmed; each fix counted."""
    out = unicodedata.normalize("NFC", text)
    if report is not None and out != text:
        report.cleaned["nfc"] += 1
    stripped = BROKEN_CHARS.sub("", out)
    if report is not None and stripped != out:
        report.cleaned["broken_chars"] += 1
    return stripped.strip()


def _passage(item, where: str, report: DataReport) -> Passage:
    if isinstance(item, str):
        return Passage(text=clean_text(item, report))
    if isinstance(item, dict) and isinstance(item.get("text"), str):
        return Passage(
            text=clean_text(item["text"], report),
            title=clean_text(str(item.get("title", "")), report),
            doc_id=str(item.get("doc_id", item.get("source", ""))),
        )
    raise DataError(f"{where}: each context item must be a string or an object with 'text'")


def parse_row(row: object, where: str, report: DataReport) -> Example:
    """One JSON row -> Example, or DataError naming the field that is wrong."""
    if not isinstance(row, dict):
        raise DataError(f"{where}: a row must be a JSON object")
    if "messages" in row:
        msgs = row["messages"]
        if not isinstance(msgs, list) or len(msgs) < 2:
            raise DataError(f"{where}: 'messages' must be a list of at least a user and an assistant turn")
        for i, m in enumerate(msgs):
            if not isinstance(m, dict) or m.get("role") not in ("user", "assistant") or not isinstance(m.get("content"), str):
                raise DataError(
                    f"{where}: messages[{i}] must be {{'role': 'user'|'assistant', 'content': str}} "
                    "(the system prompt comes from model.system_prompt)"
                )
        if msgs[-1]["role"] != "assistant" or msgs[-2]["role"] != "user":
            raise DataError(f"{where}: 'messages' must end with a user turn followed by the assistant's answer")
        history = tuple((m["role"], clean_text(m["content"], report)) for m in msgs[:-2])
        question, answer = clean_text(msgs[-2]["content"], report), clean_text(msgs[-1]["content"], report)
        passages: tuple[Passage, ...] = ()
    else:
        for key in ("instruction", "output"):
            if not isinstance(row.get(key), str):
                raise DataError(f"{where}: field '{key}' is missing or not a string")
        question = clean_text(row["instruction"], report)
        extra = row.get("input") or ""
        if not isinstance(extra, str):
            raise DataError(f"{where}: field 'input' must be a string")
        if extra.strip():
            question = f"{question}\n\n{clean_text(extra, report)}"
        answer = clean_text(row["output"], report)
        context = row.get("context") or []
        if not isinstance(context, list):
            raise DataError(f"{where}: field 'context' must be a list of passages")
        passages = tuple(_passage(item, f"{where}: context", report) for item in context)
        raw_history = row.get("history") or []
        if not isinstance(raw_history, list) or not all(
            isinstance(t, dict) and t.get("role") in ("user", "assistant") and isinstance(t.get("content"), str)
            for t in raw_history
        ):
            raise DataError(f"{where}: field 'history' must be a list of {{'role': 'user'|'assistant', 'content': str}}")
        history = tuple((t["role"], clean_text(t["content"], report)) for t in raw_history)
    if not question:
        raise DataError(f"{where}: the question is empty")
    if not answer:
        raise DataError(f"{where}: the answer ('output') is empty")
    return Example(question, answer, passages, history, where)


def instruction_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise DataError(f"{path}: no such file or folder; set finetune.instructions in config.yaml")
    files = sorted(path.glob("*.jsonl"))
    if not files:
        raise DataError(f"{path}: no .jsonl files found; put the instruction rows in .jsonl files or set finetune.instructions")
    return files


def read_examples(path: Path, report: DataReport) -> list[Example]:
    """All valid rows of a file or folder; invalid ones go to report.errors as `file:line: reason`."""
    examples: list[Example] = []
    seen: set[tuple] = set()
    for file in instruction_files(path):
        for where, line in jsonl.lines(file):
            report.rows_read += 1
            try:
                example = parse_row(jsonl.parse(line, where, DataError), where, report)
            except DataError as e:
                report.errors.append(str(e))
                report.dropped["invalid"] += 1
                continue
            exact = (example.question, example.answer, example.passages, example.history)
            near = near_duplicate_key(example)
            if exact in seen or near in seen:
                report.dropped["duplicate" if exact in seen else "near_duplicate"] += 1
                continue
            seen.update((exact, near))
            examples.append(example)
    return examples


def _loose(text: str) -> str:
    """Lower-case words only: rows differing in case, spacing or punctuation are the same row."""
    return " ".join(re.findall(r"\w+", text.lower()))


def near_duplicate_key(example: Example) -> tuple:
    return (
        "near",
        _loose(example.question),
        _loose(example.answer),
        tuple(_loose(p.text) for p in example.passages),
        tuple((r, _loose(c)) for r, c in example.history),
    )


def char_trigrams(text: str) -> set[str]:
    t = " ".join(unicodedata.normalize("NFC", text).lower().split())
    return {t[i : i + 3] for i in range(len(t) - 2)}


def leaked_questions(examples: list[Example], eval_questions: list[str], threshold: float = 0.5) -> list[str]:
    """`source: eval question` for each training row whose question is (nearly) an eval question.

    Similarity is the Jaccard index of character trigrams; >= threshold counts as the same question.
    """
    eval_grams = [(q, char_trigrams(q)) for q in eval_questions]
    leaks = []
    for example in examples:
        grams = char_trigrams(example.question)
        for question, other in eval_grams:
            union = grams | other
            if union and len(grams & other) / len(union) >= threshold:
                leaks.append(f"{example.source}: {example.question!r} ~ eval question {question!r}")
                break
    return leaks


def tokenize_example(tokenizer, example: Example, system_prompt: str) -> dict[str, list[int]]:
    """input_ids and labels; labels are IGNORE_INDEX everywhere but the answer and its end-of-turn."""
    prompt, completion = render_example(tokenizer, example.messages(system_prompt), example.answer)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    completion_ids = tokenizer(completion, add_special_tokens=False)["input_ids"]
    return {
        "input_ids": prompt_ids + completion_ids,
        "labels": [IGNORE_INDEX] * len(prompt_ids) + completion_ids,
    }


def render_trained(tokenizer, row: dict[str, list[int]]) -> str:
    """The row as text with the trained (supervised) spans wrapped in «»: what --preview shows."""
    out, span, trained = [], [], False
    for token, label in zip(row["input_ids"], row["labels"], strict=True):
        if (label != IGNORE_INDEX) != trained:
            out.append(tokenizer.decode(span) + ("«" if not trained else "»"))
            span, trained = [], not trained
        span.append(token)
    out.append(tokenizer.decode(span) + ("»" if trained else ""))
    return "".join(out)


def tokenize_all(tokenizer, examples: list[Example], system_prompt: str, max_tokens: int, report: DataReport):
    """Tokenized rows within max_tokens (with their messages and answer); longer ones are dropped and counted."""
    rows = []
    for example in examples:
        row = tokenize_example(tokenizer, example, system_prompt)
        if len(row["input_ids"]) > max_tokens:
            report.dropped["over_length"] += 1
            continue
        row["messages"], row["answer"] = example.messages(system_prompt), example.answer  # for generation later
        rows.append(row)
    report.kept += len(rows)
    return rows


def split(rows: list, val_fraction: float, seed: int) -> tuple[list, list]:
    """Seeded train/validation split; at least one validation row when the fraction is non-zero."""
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    n_val = max(1, round(len(rows) * val_fraction)) if val_fraction > 0 and len(rows) > 1 else 0
    val = [rows[i] for i in order[:n_val]]
    train = [rows[i] for i in order[n_val:]]
    return train, val


# --- the held-out eval set (read by evaluation and by the training leakage check) ---------------


class EvalDataError(RagtuneError, ValueError):
    """The eval set is unusable; the message names the file and line."""


@dataclass(frozen=True)
class Question:
    question: str
    reference: str
    sources: tuple[str, ...]
    answerable: bool
    # What a correct answer must contain: each fact is a tuple of alternative wordings, any one counts.
    facts: tuple[tuple[str, ...], ...] = ()
    section: str = ""  # the gold section's heading path as the index names it ('Luật Cư trú > Điều 20. ...')


def _facts(value: object, where: str) -> tuple[tuple[str, ...], ...]:
    """The `facts` field as tuples of alternatives; a plain string is a fact with one wording."""
    if not isinstance(value, list):
        raise EvalDataError(f"{where}: field 'facts' must be a list of strings or lists of alternatives")
    facts = []
    for i, fact in enumerate(value):
        alternatives = [fact] if isinstance(fact, str) else fact
        if not (isinstance(alternatives, list) and alternatives
                and all(isinstance(a, str) and a.strip() for a in alternatives)):
            raise EvalDataError(f"{where}: field 'facts[{i}]' must be a non-empty string or a list of them")
        facts.append(tuple(alternatives))
    return tuple(facts)


def read_questions(path: Path) -> list[Question]:
    """The eval set; `facts` and `section` are optional (an eval set without them still loads)."""
    if not path.is_file():
        raise EvalDataError(f"{path}: eval set not found; set eval.questions or EVAL=path")
    out = []
    for where, row in jsonl.rows(path, EvalDataError):
        for key, kind in (("question", str), ("reference", str), ("sources", list), ("answerable", bool)):
            if not isinstance(row.get(key), kind):
                raise EvalDataError(f"{where}: field '{key}' is missing or not a {kind.__name__}")
        facts = _facts(row.get("facts", []), where)
        section = row.get("section", "")
        if not isinstance(section, str):
            raise EvalDataError(f"{where}: field 'section' must be a string (a heading path)")
        sources = tuple(row["sources"])
        out.append(Question(row["question"], row["reference"], sources, row["answerable"], facts, section))
    if not out:
        raise EvalDataError(f"{path}: no questions; add one JSON object a line or set eval.questions")
    return out
