"""`make push` against a fake Hub: the plan, the exact client calls, a second run that sends nothing, the refusals."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from huggingface_hub import constants as hub_constants
from release_helpers import model_card, write

from release import ReleaseError, load_release, publish
from release.__main__ import main

DATASET = ("dataset", "TestOrg/edgejson")
METRIC = ("space", "TestOrg/edgejson")
MODEL = ("model", "TestOrg/Tiny-Adapter")
DATASET_FILES = ["README.md", "build.py", "data/test.jsonl", "data/train.jsonl"]


def bump(project: Path, version: str) -> None:
    """Mention ``version`` instead of 0.1.0 in every card."""
    for folder in ("ds", "metric", "adapter"):
        card = project / folder / "README.md"
        card.write_text(card.read_text().replace("0.1.0", version))


def _ops(call: tuple) -> dict[str, str]:
    return {op.path_in_repo: type(op).__name__ for op in call[2]["operations"]}


def test_dry_run_without_token_prints_every_file_and_contacts_nobody(project: Path, hub, capsys) -> None:
    plans = publish(load_release(project / "release.yaml"), dry_run=True, api=hub)
    out = capsys.readouterr().out
    assert hub.calls == []
    assert "Release 0.1.0 (tag v0.1.0): 3 repos" in out
    assert "remote: not read (a dry run never contacts the Hub)" in out
    assert sorted(plans[0].files) == DATASET_FILES  # __pycache__ is ignored
    for path in DATASET_FILES + ["adapter_model.safetensors", "app.py"]:
        line = next(line for line in out.splitlines() if line.endswith(f"  {path}"))
        assert line.split()[0] == "unknown"
    assert "  unknown      2.0 kB  adapter_model.safetensors" in out


def test_real_push_without_token_shows_the_plan_then_refuses(project: Path, hub, capsys) -> None:
    with pytest.raises(ReleaseError, match="no Hugging Face token"):
        publish(load_release(project / "release.yaml"), api=hub)
    assert "data/train.jsonl" in capsys.readouterr().out
    assert hub.calls == []


def test_first_push_makes_one_commit_and_one_tag_per_repo(project: Path, hub, token, capsys) -> None:
    publish(load_release(project / "release.yaml"), api=hub)
    assert hub.names() == ["list_repo_refs"] * 3 + ["create_repo", "create_commit", "create_tag"] * 3
    create_repo = [c for c in hub.calls if c[0] == "create_repo"]
    assert [(c[1], c[2]) for c in create_repo] == [
        ("TestOrg/edgejson", {"repo_type": "dataset", "exist_ok": True, "space_sdk": None}),
        ("TestOrg/edgejson", {"repo_type": "space", "exist_ok": True, "space_sdk": "gradio"}),
        ("TestOrg/Tiny-Adapter", {"repo_type": "model", "exist_ok": True, "space_sdk": None}),
    ]
    commit = next(c for c in hub.calls if c[0] == "create_commit")
    assert _ops(commit) == dict.fromkeys(DATASET_FILES, "CommitOperationAdd")
    assert commit[2]["commit_message"] == "Release 0.1.0" and commit[2]["repo_type"] == "dataset"
    tags = [(c[2]["repo_type"], c[1], c[2]["tag"]) for c in hub.calls if c[0] == "create_tag"]
    assert tags == [(*DATASET, "v0.1.0"), (*METRIC, "v0.1.0"), (*MODEL, "v0.1.0")]
    for key in (DATASET, METRIC, MODEL):
        repo = hub.repos[key]
        assert repo["tags"]["v0.1.0"] == repo["commits"][-1]
    assert hub.repos[DATASET]["files"]["data/test.jsonl"] == (project / "ds/data/test.jsonl").read_bytes()
    assert "published TestOrg/Tiny-Adapter: 3 files changed" in capsys.readouterr().out


def test_second_push_uploads_nothing(project: Path, hub, token, capsys) -> None:
    release = load_release(project / "release.yaml")
    publish(release, api=hub)
    hub.calls.clear()
    capsys.readouterr()
    plans = publish(release, api=hub)
    assert "create_commit" not in hub.names() and "create_tag" not in hub.names()
    assert all(set(plan.status.values()) == {"unchanged"} for plan in plans)
    out = capsys.readouterr().out
    assert out.count("no commit (nothing changed), tag exists") == 3
    assert "  unchanged    2.0 kB  adapter_model.safetensors" in out  # compared by the LFS sha256


def test_a_changed_file_needs_a_new_version(project: Path, hub, token, capsys) -> None:
    publish(load_release(project / "release.yaml"), api=hub)
    (project / "metric/app.py").write_text("# a fix\n")
    hub.calls.clear()
    with pytest.raises(ReleaseError, match="tag v0.1.0 already exists on TestOrg/edgejson but files differ"):
        publish(load_release(project / "release.yaml"), api=hub)
    assert "create_commit" not in hub.names()

    bump(project, "0.1.1")
    publish(load_release(project / "release.yaml", version="0.1.1", only=["space:edgejson"]), api=hub)
    commit = next(c for c in hub.calls if c[0] == "create_commit")
    assert _ops(commit) == {"README.md": "CommitOperationAdd", "app.py": "CommitOperationAdd"}


def test_new_version_commits_only_the_difference_and_deletes_what_left(project: Path, hub, token) -> None:
    publish(load_release(project / "release.yaml"), api=hub)
    bump(project, "0.2.0")
    (project / "ds/build.py").rename(project / "ds/make.py")
    hub.calls.clear()
    publish(load_release(project / "release.yaml", version="0.2.0", only=["Tiny-Adapter"]), api=hub)
    commit = next(c for c in hub.calls if c[0] == "create_commit")
    assert _ops(commit) == {"README.md": "CommitOperationAdd"}
    assert commit[2]["parent_commit"] == hub.repos[MODEL]["tags"]["v0.1.0"]

    hub.calls.clear()
    publish(load_release(project / "release.yaml", version="0.2.0"), api=hub)
    dataset_commit = next(c for c in hub.calls if c[0] == "create_commit" and c[2]["repo_type"] == "dataset")
    assert _ops(dataset_commit) == {
        "README.md": "CommitOperationAdd",
        "make.py": "CommitOperationAdd",
        "build.py": "CommitOperationDelete",
    }
    assert ".gitattributes" in hub.repos[DATASET]["files"] and "build.py" not in hub.repos[DATASET]["files"]
    assert sorted(hub.repos[DATASET]["tags"]) == ["v0.1.0", "v0.2.0"]


def test_offline_plan_says_so_and_offline_push_refuses(project: Path, hub, token, monkeypatch, capsys) -> None:
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)
    publish(load_release(project / "release.yaml"), dry_run=True, api=hub)
    assert "remote: not read (a dry run never contacts the Hub)" in capsys.readouterr().out
    with pytest.raises(ReleaseError, match="HF_HUB_OFFLINE is set"):
        publish(load_release(project / "release.yaml"), api=hub)
    assert hub.calls == []


def test_cli_dry_run_from_env_and_overrides(project: Path, monkeypatch, capsys) -> None:
    write(project / "adapter/README.md", model_card().replace("TestOrg/", "me/"))  # a card names the org released to
    monkeypatch.chdir(project)
    monkeypatch.setenv("DRY_RUN", "1")
    assert main(["--org", "me", "--version", "1.0.0rc1", "--only", "Tiny-Adapter"]) == 1
    assert "does not mention the release version 1.0.0rc1" in capsys.readouterr().err

    assert main(["--org", "me", "--only", "Tiny-Adapter", "space:edgejson"]) == 0
    out = capsys.readouterr().out
    assert "Release 0.1.0 (tag v0.1.0): 2 repos" in out and "model me/Tiny-Adapter: 3 files" in out
    assert "space me/edgejson: 4 files" in out and "dataset" not in out


def test_cli_dry_run_with_a_token_prints_the_plan_offline(project: Path, token, monkeypatch, capsys) -> None:
    def no_network(*args, **kwargs):
        raise OSError("a dry run opened a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.chdir(project)
    monkeypatch.setenv("DRY_RUN", "1")
    assert main([]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "Release 0.1.0 (tag v0.1.0): 3 repos" in out and "data/train.jsonl" in out
    assert out.count("remote: not read (a dry run never contacts the Hub)") == 3


def test_cli_errors_are_one_clear_line_and_exit_1(project: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(project)
    assert main([]) == 1
    assert "no Hugging Face token" in capsys.readouterr().err
    assert main(["--only", "nope"]) == 1
    assert "release.yaml: no repo named nope" in capsys.readouterr().err
    assert main(["--version", "one"]) == 1
    assert "version 'one' is not a valid version" in capsys.readouterr().err


def test_cli_real_push_with_no_network_prints_the_plan_then_one_line(
    project: Path, token, monkeypatch, capsys
) -> None:
    def no_network(*args, **kwargs):
        raise OSError("Network is unreachable")

    monkeypatch.setattr(hub_constants, "ENDPOINT", "http://127.0.0.1:9")  # never the real Hub, whatever happens
    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.delenv("DRY_RUN", raising=False)
    monkeypatch.chdir(project)
    assert main(["--only", "Tiny-Adapter", "space:edgejson"]) == 1
    out, err = capsys.readouterr()
    assert "model TestOrg/Tiny-Adapter: 3 files" in out and "space TestOrg/edgejson: 4 files" in out
    assert out.count("remote: not read (the Hub could not be reached)") == 2
    assert err == "release: the Hub could not be reached (Network is unreachable): the plan above was not sent\n"


@pytest.mark.parametrize("value", ["on", "ON", "yes"])
def test_cli_dry_run_values_that_mean_on_never_publish(project: Path, token, monkeypatch, capsys, value) -> None:
    def no_network(*args, **kwargs):
        raise OSError("a dry run opened a connection")

    monkeypatch.setattr(hub_constants, "ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.chdir(project)
    monkeypatch.setenv("DRY_RUN", value)
    assert main(["--only", "Tiny-Adapter"]) == 0, capsys.readouterr().err
    assert "remote: not read (a dry run never contacts the Hub)" in capsys.readouterr().out


@pytest.mark.parametrize("value", ["maybe", "2", "dry"])
def test_cli_an_unknown_dry_run_value_is_refused_before_anything(project: Path, token, monkeypatch, capsys, value):
    monkeypatch.chdir(project)
    monkeypatch.setenv("DRY_RUN", value)
    assert main(["--only", "Tiny-Adapter"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err == (
        f"release: DRY_RUN={value!r} is neither on (1, true, yes, on) nor off (empty, 0, false, no, off): "
        "nothing was sent\n"
    )
