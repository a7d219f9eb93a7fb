"""Artifact folders are replaced so that their path holds one complete folder at every instant."""

from pathlib import Path

from ragtune.artifacts import replace_dir, staging_dir


def test_replacing_an_artifact_never_leaves_its_path_empty(tmp_path, monkeypatch):
    """A kill between the two renames of the old scheme (old aside, new in) left no adapter at all, and the server
    fell back to the bare base model. Every rename made while replacing is watched: the path always exists."""
    target = tmp_path / "adapter"
    target.mkdir()
    (target / "adapter_model.safetensors").write_text("old")
    gaps, real_rename = [], Path.rename

    def rename(self, to):
        moved = real_rename(self, to)
        gaps.append(not target.exists())
        return moved

    monkeypatch.setattr(Path, "rename", rename)
    for round_ in range(3):
        staging = staging_dir(target)
        (staging / "adapter_model.safetensors").write_text(f"new {round_}")
        replace_dir(staging, target)
        assert (target / "adapter_model.safetensors").read_text() == f"new {round_}"
    assert not any(gaps)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adapter"]  # the old folders are gone
    fresh = tmp_path / "merged"  # a first artifact simply moves into place
    staging = staging_dir(fresh)
    (staging / "x").write_text("1")
    replace_dir(staging, fresh)
    assert (fresh / "x").read_text() == "1"


def test_a_published_artifact_is_readable_by_other_users_as_a_plain_write_would_be(tmp_path):
    """mkdtemp's 0700 staging folder and a writer's 0600 temporary file used to keep those modes once published:
    the Docker image's non-root server could not read a model written by root."""
    import os

    old_mask = os.umask(0o022)
    try:
        target = tmp_path / "merged"
        staging = staging_dir(target)
        (staging / "sub").mkdir(mode=0o700)
        weights = staging / "sub" / "model.safetensors"
        weights.write_text("w")
        weights.chmod(0o600)
        replace_dir(staging, target)
    finally:
        os.umask(old_mask)
    assert (target.stat().st_mode & 0o777, (target / "sub").stat().st_mode & 0o777) == (0o755, 0o755)
    assert (target / "sub" / "model.safetensors").stat().st_mode & 0o777 == 0o644
