"""The shipped corpora load through the project's own loaders and validators, with the promised shape."""

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from ragtune.config import DEFAULT_NOT_FOUND
from ragtune.finetune.data import DataReport, read_examples, read_questions
from ragtune.rag.chunking import markdown_sections
from ragtune.rag.documents import LoadReport, load_corpus

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT / "corpora"
EVALDATA = ROOT.parent / "shared" / "evaldata"
ENGLISH_NOT_FOUND = "Sorry, the available documents do not contain the information needed to answer this question."


@pytest.fixture(scope="module")
def documents():
    report = LoadReport()
    docs = load_corpus(CORPORA / "documents", report)
    assert report.skipped == []
    return {d.doc_id: d for d in docs}


@pytest.fixture(scope="module")
def train():
    report = DataReport()
    examples = read_examples(CORPORA / "instructions", report)
    assert report.errors == [] and report.dropped == {}
    return examples


@pytest.fixture(scope="module")
def questions():
    return read_questions(CORPORA / "eval" / "questions.jsonl")


def test_documents_cover_the_laws_and_the_handbook_in_every_format(documents):
    laws = [d for d in documents if d.startswith("laws/")]
    company = [d for d in documents if d.startswith("company/")]
    assert len(laws) == 17 and len(company) >= 15
    suffixes = [Path(d).suffix for d in company]
    assert suffixes.count(".pdf") >= 2 and suffixes.count(".docx") >= 2
    assert {".md", ".txt", ".html"} <= set(suffixes)
    assert sum(doc.text.count("\n## Điều ") for d, doc in documents.items() if d.startswith("laws/")) == 2249
    for doc in documents.values():
        assert unicodedata.is_normalized("NFC", doc.text), doc.doc_id
    assert max(page for _, page in documents["company/cong-tac-phi.pdf"].pages) >= 2


def test_html_scripts_and_styles_are_not_content(documents):
    html = [doc for d, doc in documents.items() if d.endswith(".html")]
    raw = (CORPORA / "documents" / html[0].doc_id).read_text(encoding="utf-8")
    script = re.search(r"<script[^>]*>(.*?)</script>", raw, re.S).group(1).strip()
    assert script and script[:30] not in html[0].text


def test_training_rows_have_the_promised_mix(train):
    n = len(train)
    assert n >= 600
    refusals = [e for e in train if e.answer in (DEFAULT_NOT_FOUND, ENGLISH_NOT_FOUND)]
    assert len(refusals) >= 0.10 * n
    assert sum(bool(e.history) for e in train) >= 0.05 * n
    with_context = [e for e in train if e.passages and e.answer not in (DEFAULT_NOT_FOUND, ENGLISH_NOT_FOUND)]
    cited = [e for e in with_context if re.search(r"\[\d\]", e.answer)]
    assert len(cited) >= 0.9 * len(with_context)
    for e in cited:  # every citation points at a given passage
        assert all(1 <= int(k) <= len(e.passages) for k in re.findall(r"\[(\d+)\]", e.answer)), e.source
    legal = [e for e in cited if any(p.doc_id.startswith("laws/") for p in e.passages) and "Điều" in e.answer]
    assert len(legal) >= 100


def test_eval_set_shape_and_sources_name_real_documents(questions, documents):
    assert len(questions) >= 100
    assert sum(not q.answerable for q in questions) >= 15
    assert any(s.startswith("laws/") for q in questions for s in q.sources)
    assert any(s.startswith("company/") for q in questions for s in q.sources)
    for q in questions:
        assert all(s in documents for s in q.sources), q.question
        assert bool(q.sources) == q.answerable


def _trigrams(text: str) -> set[str]:
    t = " ".join(unicodedata.normalize("NFC", text).lower().split())
    return {t[i : i + 3] for i in range(len(t) - 2)}


def test_no_eval_question_is_in_the_training_data(questions, train):
    train_grams = [_trigrams(e.question) for e in train]
    worst = 0.0
    for q in questions:
        g = _trigrams(q.question)
        worst = max(worst, max(len(g & t) / len(g | t) for t in train_grams))
    assert worst < 0.5, worst


@pytest.mark.skipif(not (EVALDATA / "alqac_vi_legal").is_dir(), reason="../shared/evaldata is not beside this checkout")
def test_no_alqac_question_is_shipped(questions, train):
    rows = json.loads((EVALDATA / "alqac_vi_legal" / "alqac25_train.json").read_text(encoding="utf-8"))
    alqac = {" ".join(r["text"].lower().split()) for r in rows}
    shipped = [q.question for q in questions] + [e.question for e in train]
    assert not alqac & {" ".join(s.lower().split()) for s in shipped}


@pytest.mark.skipif(not (EVALDATA / "alqac_vi_legal").is_dir(), reason="../shared/evaldata is not beside this checkout")
def test_law_markdown_is_reproducible(tmp_path):
    subprocess.run(
        [sys.executable, str(CORPORA / "build_laws.py"), "--out", str(tmp_path)], check=True, capture_output=True
    )
    shipped = sorted((CORPORA / "documents" / "laws").glob("*.md"))
    assert [p.name for p in shipped] == sorted(p.name for p in tmp_path.glob("*.md"))
    for p in shipped:
        assert (tmp_path / p.name).read_bytes() == p.read_bytes(), p.name


def test_eval_and_instructions_are_reproducible(tmp_path):
    """build_eval.py and build_instructions.py rebuild the shipped eval set and training rows exactly."""
    held_out = tmp_path / "held_out_articles.json"
    builds = {
        "build_eval.py": ["--out", tmp_path / "questions.jsonl", "--held-out", held_out],
        "build_instructions.py": ["--out", tmp_path / "train.jsonl"],
    }
    for script, args in builds.items():
        subprocess.run([sys.executable, CORPORA / script, *args], check=True, capture_output=True)
    for shipped in ["eval/questions.jsonl", "eval/held_out_articles.json", "instructions/train.jsonl"]:
        rebuilt = tmp_path / Path(shipped).name
        assert rebuilt.read_bytes() == (CORPORA / shipped).read_bytes(), shipped


def _builder(name: str):
    """corpora/<name>.py imported as a module."""
    spec = importlib.util.spec_from_file_location(name, CORPORA / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _build_instructions():
    return _builder("build_instructions")


QA = {"doc_id": "company/nghi-phep.md", "section": "Nghỉ ốm", "question": "Nghỉ ốm?", "answer": "Dạ, 3 {c}."}
META = {"question": "Chào!", "answer": "Dạ, chào anh/chị.", "language": "vi"}
GOOD_ROWS = {"handbook_qa.jsonl": QA, "multi_turn.jsonl": {"turns": [QA, QA]}, "meta.jsonl": META}


@pytest.mark.parametrize(
    ("source", "bad", "message"),
    [
        ("handbook_qa.jsonl", {"question": "Nghỉ ốm?"}, "field 'doc_id' is missing"),
        ("handbook_qa.jsonl", {**QA, "question": ["Nghỉ ốm?"]}, "field 'question' must be a non-empty"),
        ("handbook_qa.jsonl", {**QA, "anwser": "Dạ."}, "unknown field 'anwser'"),
        ("multi_turn.jsonl", {"turns": [QA, {**QA, "section": 5}]}, "field 'turns[1].section' must be"),
        ("meta.jsonl", {**META, "language": "fr"}, "field 'language' is 'fr'"),
        ("meta.jsonl", '{"question": "Chào!",', "invalid JSON"),
    ],
)
def test_a_malformed_source_row_is_an_error_naming_its_file_line_and_field(tmp_path, source, bad, message):
    builder = _build_instructions()
    path = tmp_path / source
    bad = bad if isinstance(bad, str) else json.dumps(bad, ensure_ascii=False)
    path.write_text(f"{json.dumps(GOOD_ROWS[source], ensure_ascii=False)}\n\n{bad}\n", encoding="utf-8")
    with pytest.raises(builder.SourceError) as error:
        builder.read_source(path, builder.SOURCE_FIELDS[source])
    assert str(error.value).startswith(f"{path}:3: ") and message in str(error.value)


def test_a_source_row_naming_a_missing_section_stops_the_build_with_file_line_and_field(tmp_path):
    sources = tmp_path / "instructions"
    shutil.copytree(CORPORA / "sources" / "instructions", sources)
    path = sources / "english_qa.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[4] = json.dumps({**json.loads(lines[4]), "section": "Không có mục này"}, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    script = [sys.executable, CORPORA / "build_instructions.py", "--out", tmp_path / "train.jsonl"]
    result = subprocess.run([*script, "--sources", sources], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {path}:5: field 'section' is 'Không có mục này'"), result.stderr
    assert not (tmp_path / "train.jsonl").exists()


SICK = "Quy định thời giờ làm việc và nghỉ phép > Nghỉ ốm"
EVAL_QA = {"doc_id": "company/nghi-phep.md", "section": SICK, "question": "Nghỉ ốm?",
           "reference": "Dạ, 3 ngày nghỉ ốm hưởng nguyên lương.",
           "facts": [["3 ngày", "ba ngày"], "nguyên lương"]}
EVAL_GOOD_ROWS = {"handbook.jsonl": EVAL_QA, "unanswerable.jsonl": {"question": "Căng tin?", "language": "vi"}}


@pytest.mark.parametrize(
    ("source", "bad", "message"),
    [
        ("handbook.jsonl", {"question": "Nghỉ ốm?", "reference": "Dạ."}, "field 'doc_id' is missing"),
        ("handbook.jsonl", {**EVAL_QA, "refrence": "Dạ."}, "unknown field 'refrence'"),
        ("handbook.jsonl", {**EVAL_QA, "question": 3}, "field 'question' must be a non-empty string"),
        ("handbook.jsonl", {**EVAL_QA, "facts": "3 ngày"}, "field 'facts' must be a list of 1 to 3 facts"),
        ("handbook.jsonl", {**EVAL_QA, "facts": list("abcd")}, "field 'facts' must be a list of 1 to 3"),
        ("handbook.jsonl", {**EVAL_QA, "facts": ["3 ngày", [""]]}, "field 'facts[1]' must be a non-empty"),
        ("unanswerable.jsonl", {"question": "Căng tin?", "language": "fr"}, "field 'language' is 'fr'"),
        ("unanswerable.jsonl", '{"question": "Căng tin?",', "invalid JSON"),
    ],
)
def test_a_malformed_eval_source_row_is_an_error_naming_its_file_line_and_field(tmp_path, source, bad, message):
    builder = _builder("build_eval")
    path = tmp_path / source
    bad = bad if isinstance(bad, str) else json.dumps(bad, ensure_ascii=False)
    path.write_text(f"{json.dumps(EVAL_GOOD_ROWS[source], ensure_ascii=False)}\n\n{bad}\n", encoding="utf-8")
    with pytest.raises(builder.SourceError) as error:
        builder.read_source(path, builder.SOURCE_FIELDS[source])
    assert str(error.value).startswith(f"{path}:3: ") and message in str(error.value)


@pytest.fixture(scope="module")
def eval_builder():
    builder = _builder("build_eval")
    return builder, builder.Corpus(CORPORA / "documents")


@pytest.mark.parametrize(
    ("source", "bad", "message"),
    [
        ("handbook.jsonl", {**EVAL_QA, "doc_id": "company/x.md"}, "field 'doc_id' is 'company/x.md'"),
        ("laws.jsonl", EVAL_QA, "field 'doc_id' is 'company/nghi-phep.md', not a law"),
        ("handbook.jsonl", {**EVAL_QA, "section": "Nghỉ ốm"}, f"not a heading path in {EVAL_QA['doc_id']}"),
        ("handbook.jsonl", {**EVAL_QA, "section": "Nghỉ ốm"}, f"did you mean '{SICK}'?"),
        ("handbook.jsonl", {**EVAL_QA, "facts": ["7 ngày"]}, "field 'facts[0]' is '7 ngày'; no wording"),
        ("handbook.jsonl", {**EVAL_QA, "facts": [["14 ngày"]]}, "field 'facts[0]' is ['14 ngày']"),
        ("handbook.jsonl", {**EVAL_QA, "facts": ["Bảo hiểm xã hội"]}, "no wording of it is in the reference"),
        ("unanswerable.jsonl", {**EVAL_GOOD_ROWS["unanswerable.jsonl"], "near_miss": "company/x.md"},
         "field 'near_miss' is 'company/x.md', not a document"),
    ],
)
def test_an_eval_row_whose_section_or_facts_are_not_in_the_document_is_an_error(
    tmp_path, eval_builder, source, bad, message
):
    builder, corpus = eval_builder
    path = tmp_path / source
    law = source == "laws.jsonl"

    def problems(row):
        return builder.row_problems(row, corpus, law)

    good = json.dumps(EVAL_GOOD_ROWS[source], ensure_ascii=False) if source in EVAL_GOOD_ROWS else ""
    path.write_text(f"{good}\n\n{json.dumps(bad, ensure_ascii=False)}\n", encoding="utf-8")
    with pytest.raises(builder.SourceError) as error:
        builder.read_source(path, builder.SOURCE_FIELDS[source], problems)
    assert str(error.value).startswith(f"{path}:3: ") and message in str(error.value)


def test_shipped_eval_sections_are_index_heading_paths_holding_the_facts(questions, documents):
    answerable = [q for q in questions if q.answerable]
    assert all(q.facts and q.section for q in answerable)
    assert not any(q.facts or q.section for q in questions if not q.answerable)
    for q in answerable:
        doc = documents[q.sources[0]]
        texts = {path: doc.text[start:end] for start, end, path in markdown_sections(doc.text, doc.title)}
        assert q.section in texts, q.question
        text = " ".join(texts[q.section].lower().split())
        assert all(any(" ".join(a.lower().split()) in text for a in fact) for fact in q.facts), q.question


def test_shipped_eval_set_has_on_topic_near_misses(documents):
    lines = (CORPORA / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    unanswerable = [row for row in rows if not row["answerable"]]
    near_misses = [row["near_miss"] for row in unanswerable if "near_miss" in row]
    assert len(unanswerable) >= 45 and len(near_misses) >= 20
    assert all(doc_id in documents for doc_id in near_misses)


def test_an_eval_row_naming_a_missing_section_stops_the_build_with_file_line_and_field(tmp_path):
    sources = tmp_path / "eval"
    shutil.copytree(CORPORA / "sources" / "eval", sources)
    path = sources / "laws.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = json.dumps({**json.loads(lines[2]), "section": "Luật Cư trú > Điều 999"}, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "questions.jsonl"
    script = [sys.executable, CORPORA / "build_eval.py", "--out", out, "--held-out", tmp_path / "held_out.json"]
    result = subprocess.run([*script, "--sources", sources], capture_output=True, text=True)
    assert result.returncode == 2
    expected = f"error: {path}:3: field 'section' is 'Luật Cư trú > Điều 999', not a heading path"
    assert result.stderr.startswith(expected), result.stderr
    assert not out.exists()
