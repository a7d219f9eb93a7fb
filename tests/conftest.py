"""Shared fixtures: a tiny random Llama with a real (small, trained here) tokenizer, and a tiny corpus.

The tiny model is a real transformers model built from a config: every code path that runs on the
default models runs on it, in milliseconds.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402

from ragtune.models import GEMMA_CHAT_TEMPLATE  # noqa: E402

SPECIAL = ["<pad>", "<bos>", "<eos>", "<start_of_turn>", "<end_of_turn>", "<unk>"]
TRAINING_TEXT = [
    "Nhân viên được nghỉ phép năm 12 ngày. Giờ làm việc từ 8 giờ 30 đến 17 giờ 30.",
    "Theo Điều 20 Luật Cư trú, công dân được đăng ký thường trú khi có chỗ ở hợp pháp.",
    "Xin lỗi, tài liệu hiện có không chứa thông tin để trả lời câu hỏi này.",
    "Tài liệu: Câu hỏi: user model system assistant Bạn là trợ lý nội bộ của công ty.",
    "The employee handbook says the office opens at 8:30. Sorry, the documents do not say.",
    "0123456789 [1] [2] [3] > . , : ; ? ! ( ) - \" '",
]


def build_tiny_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=600, special_tokens=SPECIAL, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    tok.train_from_iterator(TRAINING_TEXT * 4, trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>", unk_token="<unk>"
    )
    fast.add_special_tokens({"additional_special_tokens": ["<start_of_turn>", "<end_of_turn>"]})
    fast.chat_template = GEMMA_CHAT_TEMPLATE
    return fast


def build_tiny_model(vocab_size: int, seed: int = 0):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        tie_word_embeddings=False,
    )
    return LlamaForCausalLM(config).eval()


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A folder with a 2-layer random Llama and its tokenizer, loadable by the generator resolver."""
    path = tmp_path_factory.mktemp("tiny-llama")
    tokenizer = build_tiny_tokenizer()
    model = build_tiny_model(len(tokenizer))
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_model(tiny_tokenizer):
    return build_tiny_model(len(tiny_tokenizer))


@pytest.fixture
def sliding_lm(tiny_tokenizer):
    """A 2-layer random Gemma 3 with a sliding window of 8 on one layer: prompts are longer than the window."""
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    torch.manual_seed(0)
    config = Gemma3TextConfig(vocab_size=len(tiny_tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                              num_attention_heads=2, num_key_value_heads=1, head_dim=16, sliding_window=8,
                              layer_types=["sliding_attention", "full_attention"], max_position_embeddings=512)  # fmt: skip
    return Gemma3ForCausalLM(config).eval()


@pytest.fixture(scope="session")
def tiny_tokenizer():
    return build_tiny_tokenizer()


class HashEmbedder:
    """Deterministic fake embedder with the SentenceTransformer surface the index uses.

    Bag of hashed word features: texts sharing words get similar vectors, so search results mean
    something. Its tokenizer is the tiny BPE one, so chunk sizes are measured in real tokens.
    """

    def __init__(self, dim: int = 64):
        self.dim = dim
        self.tokenizer = build_tiny_tokenizer()
        self.calls = 0  # texts embedded, for tests of incremental indexing

    def get_embedding_dimension(self) -> int:
        return self.dim

    def encode(self, texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False):
        import hashlib
        import unicodedata

        import numpy as np

        self.calls += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in unicodedata.normalize("NFC", text).lower().split():
                h = int.from_bytes(hashlib.md5(word.encode()).digest()[:4], "little")
                out[i, h % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)


@pytest.fixture
def hash_embedder():
    return HashEmbedder()


@pytest.fixture
def tiny_corpus(tmp_path) -> Path:
    root = tmp_path / "docs"
    (root / "company").mkdir(parents=True)
    (root / "laws").mkdir()
    (root / "company" / "nghi-phep.md").write_text(
        "# Quy định nghỉ phép\n\n## Nghỉ phép năm\n\nNhân viên chính thức được nghỉ phép năm 14 ngày mỗi năm. "
        "Đơn xin nghỉ dùng mẫu NS-03 và gửi trước 3 ngày làm việc.\n\n## Nghỉ ốm\n\n"
        "Nghỉ ốm quá 2 ngày cần giấy xác nhận của bệnh viện.\n",
        encoding="utf-8",
    )
    (root / "company" / "gio-lam-viec.txt").write_text(
        "Giờ làm việc\n\nVăn phòng mở cửa từ 8 giờ 30 đến 17 giờ 30, nghỉ trưa từ 12 giờ đến 13 giờ.\n", encoding="utf-8"
    )
    (root / "laws" / "luat-cu-tru.md").write_text(
        "# Luật Cư trú\n\n## Điều 20. Điều kiện đăng ký thường trú\n\n"
        "Công dân có chỗ ở hợp pháp thuộc quyền sở hữu của mình thì được đăng ký thường trú tại chỗ ở hợp pháp đó.\n",
        encoding="utf-8",
    )
    return root


@pytest.fixture(scope="session")
def tiny_embedder_dir(tmp_path_factory) -> Path:
    """A 2-layer random BERT saved as a sentence-transformers folder: loadable by path, like a real one."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.models import Pooling, Transformer
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    path = tmp_path_factory.mktemp("tiny-bert")
    raw = path / "raw"
    raw.mkdir()
    wordpiece = BertWordPieceTokenizer(lowercase=True, strip_accents=False)
    wordpiece.train_from_iterator(TRAINING_TEXT * 4, vocab_size=400, show_progress=False)
    wordpiece.save_model(str(raw))
    BertTokenizerFast(vocab_file=str(raw / "vocab.txt"), do_lower_case=True, strip_accents=False).save_pretrained(raw)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=wordpiece.get_vocab_size(), hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=512)  # fmt: skip
    BertModel(config).save_pretrained(raw)
    transformer = Transformer(str(raw), max_seq_length=256)
    model = SentenceTransformer(modules=[transformer, Pooling(transformer.get_embedding_dimension(), "mean")])
    model.save(str(path / "st"))
    return path / "st"


MODELS_DIR = Path(__file__).resolve().parents[1] / "artifacts" / "models"  # where make setup materialises the defaults


@pytest.fixture(scope="session")
def default_merged(tmp_path_factory):
    """The real default model with a low-rank change in two projections of every layer (about a trained LoRA's
    size), saved as `ragtune finetune` saves a merge: (folder, the fp32 model read back, tokenizer)."""
    import json

    from transformers import AutoModelForCausalLM

    from ragtune.artifacts import ADAPTER_RECORD
    from ragtune.models import load_generator

    model, tok = load_generator("gemma3-270m", MODELS_DIR, "cpu", dtype=torch.float32)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for layer in model.model.layers:
            for linear in (layer.self_attn.q_proj, layer.mlp.down_proj):
                out_dim, in_dim = linear.weight.shape
                a, b = torch.randn(4, in_dim, generator=generator), torch.randn(out_dim, 4, generator=generator)
                linear.weight += 0.05 * linear.weight.std() * (b @ a) / 4
    folder = tmp_path_factory.mktemp("merged")
    model.to(torch.bfloat16).save_pretrained(folder)  # as `ragtune finetune` saves it on a CPU with native bf16
    tok.save_pretrained(folder)
    (folder / ADAPTER_RECORD).write_text(json.dumps({"base_model": "gemma3-270m", "merged": True}))
    return folder, AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval(), tok


@pytest.fixture(scope="session")
def default_gguf(default_merged, tmp_path_factory) -> Path:
    """`default_merged` exported by `ragtune export --gguf`."""
    from ragtune.finetune.export import export_gguf
    from ragtune.models import packaged_gguf

    return export_gguf(default_merged[0], packaged_gguf("gemma3-270m", MODELS_DIR), tmp_path_factory.mktemp("export") / "model.gguf")


_databases = iter(range(10**6))


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    """A real PostgreSQL 16 with pgvector (the pgserver wheel), in a temporary folder, for the whole run."""
    import pgserver

    server = pgserver.get_server(tmp_path_factory.mktemp("pgdata"), cleanup_mode="stop")
    yield server
    server.cleanup()


@pytest.fixture
def pg_dsn(pg_server) -> str:
    """The address of a fresh, empty database on the shared server."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    name = f"ragtune_test_{next(_databases)}"
    admin = pg_server.get_uri()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return urlunsplit(urlsplit(admin)._replace(path=f"/{name}"))


@pytest.fixture(autouse=True)
def _torch_operations():
    """Every test starts on torch's operations: ragtune's C kernels (serve/kernels.py) are one switch for the
    process, turned on by a test that tests them or by a served config (`model.decode_kernels: auto`)."""
    from ragtune.serve import kernels

    kernels.enable("torch")
    yield
