import subprocess
import sys
from pathlib import Path

import pytest

from ragtune.config import PACKAGED_GENERATORS, Config, ConfigError, load_config, render_config
from ragtune.models import PACKAGED

ROOT = Path(__file__).resolve().parents[2]


def test_root_config_yaml_is_valid_and_shows_every_default():
    cfg = load_config(ROOT / "config.yaml", env={})
    assert cfg == Config()
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    for section, fields in Config.model_fields.items():
        for key in fields.annotation.model_fields:
            assert f"  {key}:" in text, f"config.yaml does not show {section}.{key}"


def test_missing_file_means_defaults(tmp_path):
    assert load_config(tmp_path / "absent.yaml", env={}) == Config()


def test_unknown_key_is_rejected_with_the_valid_keys(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("finetune:\n  epoch: 2\n")
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    msg = str(err.value)
    assert "finetune.epoch" in msg and "epochs" in msg and "learning_rate" in msg


def test_unknown_section_is_rejected(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("training:\n  epochs: 2\n")
    with pytest.raises(ConfigError, match="training.*valid keys: model, finetune, index, serve, eval"):
        load_config(path, env={})


def test_wrong_type_names_the_key_and_value(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("serve:\n  port: eighty\n")
    with pytest.raises(ConfigError, match=r"serve\.port.*'eighty'"):
        load_config(path, env={})


def test_missing_model_folder_names_the_key_and_the_fix(tmp_path):
    with pytest.raises(ConfigError, match=r"model\.generator.*does not exist.*gemma3-270m"):
        load_config(None, [f"model.generator={tmp_path}/nope"], env={})


def test_command_line_overrides_are_typed():
    cfg = load_config(None, ["finetune.epochs=2", "serve.api_keys=[a, b]", "index.documents=/tmp/x"], env={})
    assert cfg.finetune.epochs == 2.0
    assert cfg.serve.api_keys == ["a", "b"]
    assert cfg.index.documents == Path("/tmp/x")


def test_bad_override_form_and_key():
    with pytest.raises(ConfigError, match="section.key=value"):
        load_config(None, ["epochs=2"], env={})
    with pytest.raises(ConfigError, match="unknown key 'serve.prot'.*port"):
        load_config(None, ["serve.prot=1"], env={})


def test_environment_overrides_for_the_server_and_cli_wins():
    env = {"RAGTUNE_SERVE_PORT": "9001", "RAGTUNE_SERVE_HOST": "0.0.0.0", "UNRELATED": "x"}
    cfg = load_config(None, env=env)
    assert (cfg.serve.port, cfg.serve.host) == (9001, "0.0.0.0")
    assert load_config(None, ["serve.port=9002"], env=env).serve.port == 9002
    with pytest.raises(ConfigError, match="RAGTUNE_SERVE_NOPE"):
        load_config(None, env={"RAGTUNE_SERVE_NOPE": "1"})


def test_packaged_generator_names_agree():
    assert PACKAGED_GENERATORS == tuple(PACKAGED)


def test_config_yaml_is_written_from_the_declarations():
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    assert text == render_config(), (
        "config.yaml differs from the declarations in ragtune/config.py; run `ragtune config --write-defaults`"
    )


def test_rendered_config_loads_back_equal(tmp_path):
    cfg = load_config(None, ["finetune.learning_rate=1e-5", "index.dense_weight_vi=null", "serve.host=0.0.0.0",
                             "serve.generator_model='true'", "model.system_prompt='Trả lời: \"ngắn\" # gọn'",
                             "finetune.target_modules=[q_proj, 'a b']", "index.documents=docs with spaces"], env={})  # fmt: skip
    path = tmp_path / "c.yaml"
    path.write_text(render_config(cfg), encoding="utf-8")
    assert load_config(path, env={}) == cfg


def test_secrets_are_hidden_when_asked():
    cfg = load_config(None, ["serve.api_keys=[k1, k2]", "serve.generator_api_key=s3cret"], env={})
    text = render_config(cfg, hide_secrets=True)
    assert "k1" not in text and "s3cret" not in text and '  api_keys: ["***", "***"]' in text


def test_reading_the_config_does_not_import_torch():
    code = "import sys, ragtune.config; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_an_empty_api_key_is_rejected_and_no_message_shows_a_secret():
    with pytest.raises(ConfigError, match="key 2 is empty"):
        load_config(None, ["serve.api_keys=[good-key, '']"], env={})
    with pytest.raises(ConfigError) as e:
        load_config(None, ["serve.api_keys=hunter2-secret"], env={})  # a string, not a list
    assert "serve.api_keys" in str(e.value) and "hunter2" not in str(e.value)
    with pytest.raises(ConfigError) as e:
        load_config(None, [], env={"RAGTUNE_SERVE_GENERATOR_API_KEY": "[hunter2-secret]"})
    assert "generator_api_key" in str(e.value) and "hunter2" not in str(e.value)


def test_a_network_bind_without_keys_is_refused_unless_opted_out():
    for host in ("0.0.0.0", "10.1.2.3", "'::'"):
        with pytest.raises(ConfigError, match="api_keys is empty"):
            load_config(None, [f"serve.host={host}"], env={}).serve.check_exposure()
    for overrides in (["serve.host=127.0.0.1"], ["serve.host=localhost"], ["serve.host='::1'"],
                      ["serve.host=0.0.0.0", "serve.api_keys=[k]"], ["serve.host=0.0.0.0", "serve.allow_unauthenticated=true"]):  # fmt: skip
        load_config(None, overrides, env={}).serve.check_exposure()


@pytest.mark.parametrize("lead", ["Theo tài liệu:", "Theo tài liệu [{n}] {ten}:"])
def test_a_quote_lead_without_its_citation_or_with_other_braces_is_refused(lead, tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(f'serve:\n  quote_lead: "{lead}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"serve\.quote_lead: .*\[\{n\}\]|serve\.quote_lead: .*braces"):
        load_config(path, env={})
    path.write_text('serve:\n  quote_lead: "Thưa anh chị, tài liệu [{n}] ghi:"\n', encoding="utf-8")
    assert load_config(path, env={}).serve.quote_lead == "Thưa anh chị, tài liệu [{n}] ghi:"
