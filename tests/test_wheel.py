"""The built wheel installs one import name, `ragtune`, into a fresh virtual environment.

PyPI has packages called `rag` and `finetune`: a ragtune that installed top-level `rag`, `serve` or
`finetune` would break them (or be broken by them) in a user's environment.
"""

import json
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_installs_only_ragtune_and_imports_in_a_fresh_venv(tmp_path):
    src, dist = tmp_path / "src", tmp_path / "dist"  # built from a copy: setuptools writes build/ beside the sources
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for package in ("ragtune", "rag", "finetune", "serve", "evaluation"):
        shutil.copytree(ROOT / package, src / package, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(dist), str(src)], check=True, cwd=tmp_path)  # fmt: skip
    wheel = next(dist.glob("ragtune-*.whl"))
    top_level = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert {t for t in top_level if not t.endswith(".dist-info")} == {"ragtune"}
    assert "ragtune/serve/static/index.html" in zipfile.ZipFile(wheel).namelist()
    assert "ragtune/serve/kernels.c" in zipfile.ZipFile(wheel).namelist()  # built on first use (serve/kernels.py)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)], check=True)
    # Dependencies come from this environment's site-packages, added as a plain path: its .pth files (the
    # editable install of this checkout among them) are not run, so only the wheel can provide `ragtune`.
    site = Path(subprocess.check_output([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                        text=True).strip())  # fmt: skip
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    probe = (
        "import importlib.util, json, ragtune\n"
        "import ragtune.config, ragtune.rag.retrieve, ragtune.finetune.data, ragtune.serve.app, ragtune.evaluation.metrics\n"
        "print(json.dumps({'file': ragtune.__file__, 'top': {n: importlib.util.find_spec(n) is not None\n"
        "                  for n in ('rag', 'serve', 'finetune', 'evaluation')}}))\n"
    )
    out = subprocess.run([python, "-c", probe], cwd=tmp_path, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    assert Path(found["file"]).is_relative_to(venv) and not any(found["top"].values()), found
