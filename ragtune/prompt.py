"""The prompt contract (docs/design.md): one function renders a conversation for the model.

System prompt + numbered context blocks with their source titles + the sentences of those blocks that best
match the question, quoted with their block numbers (`ragtune/evidence.py`) + chat history + question, through
the tokenizer's chat template. Fine-tuning renders its examples with these same functions, and the
adapter records the format it was trained with so the server can refuse a mismatch.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ragtune.errors import RagtuneError
from ragtune.evidence import select

CONTEXT_HEADER = "Tài liệu:"
EVIDENCE_HEADER = "Câu liên quan nhất:"
EVIDENCE_SENTENCES = 3  # sentences quoted under EVIDENCE_HEADER; part of the format an adapter records
QUESTION_HEADER = "Câu hỏi:"


class PromptFormatMismatch(RagtuneError, RuntimeError):
    """The adapter was trained with a different template, stop tokens or system prompt."""


@dataclass(frozen=True)
class Passage:
    """A retrieved (or given) context block; `title` includes the heading path."""

    text: str
    title: str = ""
    doc_id: str = ""


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def format_context(passages: Sequence[Passage]) -> str:
    """`[1] title\\ntext` blocks separated by blank lines; the numbers are what answers cite."""
    blocks = []
    for n, p in enumerate(passages, start=1):
        head = f"[{n}] {p.title}".rstrip()
        blocks.append(f"{head}\n{p.text.strip()}")
    return "\n\n".join(blocks)


def format_evidence(query: str, passages: Sequence[Passage]) -> str:
    """`[n] sentence` lines: the passages' sentences that best match `query`, best first; '' when none does."""
    return "\n".join(f"[{e.n}] {e.text}" for e in select(query, passages, EVIDENCE_SENTENCES))


def retrieval_query(question: str, history: Sequence[dict[str, str]]) -> str:
    """Follow-ups ("còn trường hợp kia thì sao?") are searched together with the previous user turn."""
    previous = [t["content"] for t in history if t["role"] == "user"][-1:]
    return " ".join([*previous, question])


def user_turn(question: str, passages: Sequence[Passage] = (), history: Sequence[dict[str, str]] = ()) -> str:
    """The final user message: the context blocks (if any), the best-matching sentences, then the question."""
    question = nfc(question.strip())
    if not passages:
        return question
    evidence = format_evidence(nfc(retrieval_query(question, history)), passages)
    quoted = f"{EVIDENCE_HEADER}\n{evidence}\n\n" if evidence else ""
    return nfc(f"{CONTEXT_HEADER}\n{format_context(passages)}\n\n{quoted}{QUESTION_HEADER} {question}")


def build_messages(
    question: str,
    passages: Sequence[Passage] = (),
    history: Sequence[dict[str, str]] = (),
    system_prompt: str = "",
) -> list[dict[str, str]]:
    """Chat messages for the template: system, earlier turns, then context + question."""
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    for turn in history:
        role = turn["role"]
        if role not in ("user", "assistant"):
            raise ValueError(f"history turn has role {role!r}; expected 'user' or 'assistant'")
        messages.append({"role": role, "content": nfc(turn["content"].strip())})
    messages.append({"role": "user", "content": user_turn(question, passages, history)})
    return messages


def render_prompt(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    """The generation prompt (ends where the assistant's answer starts). Every message is text, never markup:
    a control token written in it (a question, a history turn, a document) is defanged first."""
    safe = [{**m, "content": defang(m["content"], tokenizer)} for m in messages]
    return tokenizer.apply_chat_template(safe, tokenize=False, add_generation_prompt=True)


def template_bos(tokenizer: Any) -> str:
    """The BOS text the chat template writes at the start of every prompt, or "". Text-completion servers
    (llama.cpp by the GGUF's add_bos_token, vLLM by default, ragtune's /v1/completions) put a BOS before a prompt
    themselves, so a rendered prompt goes to them without it: Gemma read after two BOS answers differently."""
    bos = tokenizer.bos_token
    return bos if bos and render_prompt(tokenizer, [{"role": "user", "content": "x"}]).startswith(bos) else ""


# Inserted after the first character of a control token's literal in untrusted text: the tokenizer then reads the
# characters it shows (`<`, `end`, `_of`, ...) rather than the token, and a reader sees the same text.
BREAK = "\u200b"
_CONTROL: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def control_tokens(tokenizer: Any) -> dict[str, tuple[frozenset[str], tuple[int, ...]]]:
    """The tokenizer's special tokens (turn markers, BOS/EOS, reserved ones), grouped by first character: that
    character -> (the tokens, their lengths longest first). Added tokens that are ordinary text (Gemma's HTML
    tags, runs of newlines) are not control tokens."""
    try:
        return _CONTROL[tokenizer]
    except (KeyError, TypeError):
        pass
    literals = [t.content for t in getattr(tokenizer, "added_tokens_decoder", {}).values() if t.special and t.content.strip()]
    groups: dict[str, set[str]] = {}
    for literal in literals:
        groups.setdefault(literal[0], set()).add(literal)
    table = {c: (frozenset(g), tuple(sorted({len(t) for t in g}, reverse=True))) for c, g in groups.items()}
    try:
        _CONTROL[tokenizer] = table
    except TypeError:  # not weak-referenceable: computed again next time
        pass
    return table


def defang(text: str, tokenizer: Any) -> str:
    """`text` with each control token written in it broken by BREAK, so it tokenizes as plain text: untrusted text
    can never close its turn or open a system, user or model turn."""
    table = control_tokens(tokenizer)
    if not table or not any(c in text for c in table):
        return text
    out, start = [], 0
    for i, c in enumerate(text):
        if c in table:
            literals, lengths = table[c]
            if any(text[i : i + n] in literals for n in lengths):
                out += [text[start : i + 1], BREAK]
                start = i + 1
    return "".join(out) + text[start:]


def render_example(tokenizer: Any, messages: list[dict[str, str]], answer: str) -> tuple[str, str]:
    """(prompt, completion) for training: `prompt + completion` is the full templated conversation.

    The completion is the answer and the end-of-turn marker the template puts after it, so the
    model learns to stop; anything the template adds after that marker (a newline) is dropped.
    """
    prompt = render_prompt(tokenizer, messages)
    conversation = messages + [{"role": "assistant", "content": nfc(answer.strip())}]
    full = tokenizer.apply_chat_template([{**m, "content": defang(m["content"], tokenizer)} for m in conversation], tokenize=False)
    if not full.startswith(prompt):
        raise PromptFormatMismatch(
            "the chat template does not render the generation prompt as a prefix of the whole conversation, so the "
            "answer cannot be separated for training; fix the tokenizer's chat_template or choose another model.generator"
        )
    completion = full[len(prompt) :]
    stop = stop_strings(tokenizer)
    ends = [completion.rfind(s) + len(s) for s in stop if s in completion]
    return prompt, completion[: max(ends)] if ends else completion


def stop_strings(tokenizer: Any) -> list[str]:
    """Tokens that end an assistant turn: the template's end-of-turn marker, the EOS, and a turn start.

    A new turn's opening marker never belongs inside an answer: an under-trained model that emits
    it instead of the end-of-turn marker is stopped there rather than writing the next turn.
    """
    stops = []
    for tok in ("<end_of_turn>", "<|im_end|>", "<|eot_id|>", tokenizer.eos_token, "<start_of_turn>", "<|im_start|>"):
        # convert_tokens_to_ids is a lookup; get_vocab() would build a 262k-entry dict per call
        tid = tokenizer.convert_tokens_to_ids(tok) if tok else None
        if tid is not None and (tid != tokenizer.unk_token_id or tok == tokenizer.unk_token) and tok not in stops:
            stops.append(tok)
    return stops


def stop_token_ids(tokenizer: Any) -> list[int]:
    return [tokenizer.convert_tokens_to_ids(s) for s in stop_strings(tokenizer)]


def prompt_format_record(tokenizer: Any, system_prompt: str) -> dict[str, Any]:
    """What an adapter was trained with; the server compares it before answering."""
    template = tokenizer.chat_template or ""
    return {
        "chat_template_sha256": hashlib.sha256(template.encode("utf-8")).hexdigest(),
        "stop_tokens": stop_strings(tokenizer),
        "system_prompt": system_prompt,
        "context_header": CONTEXT_HEADER,
        "evidence_header": EVIDENCE_HEADER,
        "evidence_sentences": EVIDENCE_SENTENCES,
        "question_header": QUESTION_HEADER,
    }


def check_prompt_format(recorded: dict[str, Any], tokenizer: Any, system_prompt: str) -> None:
    """Raise PromptFormatMismatch naming each field that differs from what the adapter learned."""
    current = prompt_format_record(tokenizer, system_prompt)
    diffs = [k for k in current if recorded.get(k) != current[k]]
    if diffs:
        details = "; ".join(f"{k}: trained {recorded.get(k)!r}, now {current[k]!r}" for k in diffs)
        raise PromptFormatMismatch(
            f"the adapter was trained with a different prompt format ({details}). "
            "Use the tokenizer and model.system_prompt it was trained with, or train again with `ragtune finetune`."
        )


ASCII_WORDS = re.compile(r"[A-Za-z]+")


def quoted_answer(question: str, n: int, sentence: str, lead: str, lead_en: str) -> str:
    """An answer that quotes sentence `sentence` of passage `n`, led in the question's language (`lead_en` for a
    question in English; each has `{n}` where the citation number goes)."""
    return f"{(lead_en if english(question) and lead_en else lead).format(n=n)} {sentence}"


def english(question: str) -> bool:
    """Whether `question` is written in plain ASCII English words (no letters outside ASCII)."""
    words = re.findall(r"[^\W\d_]+", question)
    return len(words) >= 2 and all(ASCII_WORDS.fullmatch(w) for w in words)


def not_found_for(question: str, phrase: str, phrase_en: str) -> str:
    """The not-found phrase to answer `question` with: the English one when the question is written in plain
    ASCII English words (no letters outside ASCII), else the configured one (Vietnamese by default)."""
    return phrase_en if english(question) and phrase_en else phrase
