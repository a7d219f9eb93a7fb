"""The Ollama Modelfile written beside a GGUF export: its chat template, rendered by Go's text/template (the
engine Ollama renders with), gives the very prompt ragtune trains and serves; stop token and system prompt."""

import json
import shutil
import subprocess

import pytest

from ragtune.finetune.export import OLLAMA_TEMPLATES, ollama_modelfile
from ragtune.prompt import Passage, build_messages, render_prompt, template_bos

RENDER_GO = """package main

import (
	"encoding/json"
	"os"
	"text/template"
)

type Message struct {
	Role    string
	Content string
}

func main() {
	var in struct {
		Template string
		Messages []Message
	}
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		panic(err)
	}
	t := template.Must(template.New("ollama").Parse(in.Template))
	if err := t.Execute(os.Stdout, map[string]any{"Messages": in.Messages}); err != nil {
		panic(err)
	}
}
"""


@pytest.fixture(scope="module")
def go_render(tmp_path_factory):
    """render(template, messages) -> text, through a Go program using text/template as Ollama does."""
    go = shutil.which("go")
    assert go, "Go is needed to check the Modelfile's template: apt-get install golang-go (.ci/run installs it)"
    folder = tmp_path_factory.mktemp("gorender")
    (folder / "main.go").write_text(RENDER_GO)
    binary = folder / "render"
    subprocess.run([go, "build", "-o", str(binary), str(folder / "main.go")], check=True, cwd=folder,
                   env={"HOME": str(folder), "GOCACHE": str(folder / "cache"), "PATH": "/usr/bin:/bin"})  # fmt: skip

    def render(template: str, messages: list[dict]) -> str:
        payload = json.dumps({"Template": template, "Messages": [{"Role": m["role"], "Content": m["content"]} for m in messages]})
        return subprocess.run([str(binary)], input=payload, capture_output=True, text=True, check=True).stdout

    return render


CONVERSATIONS = [
    build_messages("Nghỉ phép năm bao nhiêu ngày?", [Passage("Nhân viên được nghỉ phép năm 12 ngày.", "Nghỉ phép", "a.md")],
                   system_prompt="Bạn là trợ lý nội bộ."),
    build_messages("Còn giờ làm việc?", [Passage("Giờ làm việc từ 8 giờ 30.", "Giờ làm việc", "b.md")],
                   [{"role": "user", "content": "Nghỉ phép năm?"}, {"role": "assistant", "content": "12 ngày [1]."}],
                   system_prompt="Bạn là trợ lý nội bộ."),
    build_messages("Xin chào", system_prompt=""),
]  # fmt: skip


@pytest.mark.parametrize("messages", CONVERSATIONS, ids=["one-turn", "with-history", "no-system"])
def test_the_gemma_template_renders_the_served_prompt(go_render, tiny_tokenizer, messages):
    served = render_prompt(tiny_tokenizer, messages)
    bos = template_bos(tiny_tokenizer)  # Ollama's tokenizer adds BOS itself (the GGUF's add_bos_token)
    assert bos and served.startswith(bos)
    assert go_render(OLLAMA_TEMPLATES["gemma"], messages) == served[len(bos):]


def test_the_chatml_template_renders_a_chatml_prompt(go_render):
    messages = CONVERSATIONS[1]
    expected = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages) + "<|im_start|>assistant\n"
    assert go_render(OLLAMA_TEMPLATES["chatml"], messages) == expected


def test_the_modelfile_names_the_file_stop_token_system_prompt_and_served_sampling():
    text = ollama_modelfile("gemma3-270m-ragtune.gguf", "gemma", 'Bạn là trợ lý "nội bộ".')
    lines = text.splitlines()
    assert lines[0] == "FROM ./gemma3-270m-ragtune.gguf"
    assert 'PARAMETER stop "<end_of_turn>"' in lines and "PARAMETER temperature 0" in lines
    assert "PARAMETER repeat_penalty 1.0" in lines
    assert 'SYSTEM """Bạn là trợ lý "nội bộ"."""' in lines
    assert f'TEMPLATE """{OLLAMA_TEMPLATES["gemma"]}"""' in text
