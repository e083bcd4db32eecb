"""The one input lister (pipeline/plan.py): each file once, symlinks, nothing skipped silently."""
from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from conftest import write_jsonl
from pretrain_clean.pipeline import plan
from pretrain_clean.pipeline.plan import UsageError, expand_inputs, plan_tasks


def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    write_jsonl(root / "a.jsonl", [{"text": "a"}])
    write_jsonl(root / "sub" / "b.jsonl", [{"text": "b"}])
    return root


def test_folder_is_searched_recursively_and_sorted(tmp_path: Path) -> None:
    root = corpus(tmp_path)
    assert expand_inputs([str(root)]) == [str(root / "a.jsonl"), str(root / "sub" / "b.jsonl")]


def test_a_file_reached_by_several_paths_is_listed_once(tmp_path: Path) -> None:
    root = corpus(tmp_path)
    os.symlink(root / "a.jsonl", root / "sub" / "same.jsonl")  # inside the tree: same real file
    files = expand_inputs([str(root), str(root / "a.jsonl"), f"{root}/sub/../a.jsonl", f"{root}/**/*.jsonl"])
    assert files == [str(root / "a.jsonl"), str(root / "sub" / "b.jsonl")]


def test_overlapping_patterns_each_find_their_files(tmp_path: Path) -> None:
    root = tmp_path / "in"
    write_jsonl(root / "sub" / "deeper" / "x.jsonl", [{"text": "x"}])
    assert expand_inputs([str(root), str(root / "sub")]) == [str(root / "sub" / "deeper" / "x.jsonl")]


def test_glob_through_a_symlink_loop_reads_each_file_once(tmp_path: Path) -> None:
    # Reproduces issue 10: `**` followed `loop -> .` 40 levels deep and listed a.jsonl 41 times.
    root = corpus(tmp_path)
    os.symlink(".", root / "loop")
    assert expand_inputs([f"{root}/**/*.jsonl"]) == [str(root / "a.jsonl"), str(root / "sub" / "b.jsonl")]
    assert expand_inputs([str(root)]) == [str(root / "a.jsonl"), str(root / "sub" / "b.jsonl")]
    assert len(plan_tasks(expand_inputs([f"{root}/**/*.jsonl"]))) == 2


def test_symlinks_leaving_the_input_tree_are_not_followed_unless_asked(tmp_path: Path, caplog) -> None:
    root = corpus(tmp_path)
    outside = write_jsonl(tmp_path / "elsewhere" / "secret.jsonl", [{"text": "s"}])
    os.symlink(outside, root / "link.jsonl")
    os.symlink(outside.parent, root / "linked_dir")
    with caplog.at_level(logging.WARNING):
        files = expand_inputs([str(root)])
    assert files == [str(root / "a.jsonl"), str(root / "sub" / "b.jsonl")]
    (record,) = caplog.records
    assert "2 symlinks leaving the input tree" in record.message and "link.jsonl" in record.message
    assert "--follow-symlinks" in record.message
    followed = expand_inputs([str(root)], follow_symlinks=True)
    assert str(root / "link.jsonl") in followed and len(followed) == 3  # secret.jsonl once, by one path


def test_unknown_types_and_unreadable_folders_are_named_in_one_warning(tmp_path: Path, caplog, monkeypatch) -> None:
    root = corpus(tmp_path)
    (root / "README.md").write_text("about")
    (root / "sub" / "table.csv").write_text("a,b")
    (root / "locked").mkdir()
    write_jsonl(root / "locked" / "c.jsonl", [{"text": "c"}])
    real_scandir = os.scandir

    def scandir(path):  # chmod 000 does not stop root, who runs CI here
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with caplog.at_level(logging.WARNING):
        files = expand_inputs([str(root)])
    assert files == [str(root / "a.jsonl"), str(root / "sub" / "b.jsonl")]
    (record,) = caplog.records
    assert "2 files of unknown type" in record.message
    assert "README.md" in record.message and "table.csv" in record.message
    assert f"1 unreadable folders or files: {root / 'locked'} (Permission denied)" in record.message


def test_warning_names_ten_paths_and_counts_the_rest(tmp_path: Path) -> None:
    listing = plan.Listing(unknown=[f"f{i:02d}.csv" for i in range(12)])
    assert listing.warning().endswith("f09.csv and 2 more")
    assert plan.Listing().warning() is None


def test_a_file_of_unknown_type_named_explicitly_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "notes.csv").write_text("a,b")
    with pytest.raises(UsageError, match=r"notes.csv: unsupported input type \(expected .jsonl"):
        expand_inputs([str(tmp_path / "notes.csv")])


def test_missing_input_and_empty_folder_are_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="input not found"):
        expand_inputs([str(tmp_path / "nope")])
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "x.csv").write_text("")
    with pytest.raises(UsageError, match=r"no input files .* \(inputs not read: 1 files of unknown type: .*x.csv\)"):
        expand_inputs([str(tmp_path / "empty")])  # the error says why the folder gave nothing
    with pytest.raises(UsageError, match="no input files"):
        expand_inputs([f"{tmp_path}/*.jsonl"])


def test_a_folder_holding_a_runs_output_is_refused_as_raw_input(tmp_path: Path) -> None:
    root = corpus(tmp_path)
    for marker in plan.RUN_MARKERS:
        run = root / "old_run"
        (run / marker).parent.mkdir(parents=True, exist_ok=True)
        (run / marker).write_text("{}")
        with pytest.raises(UsageError, match=f"holds the output of an earlier run .*{marker}"):
            expand_inputs([str(root)], refuse_run_outputs=True)
        (run / marker).unlink()


def test_files_of_a_runs_output_named_by_a_glob_are_refused(tmp_path: Path) -> None:
    run = tmp_path / "run"
    write_jsonl(run / "a.jsonl", [{"text": "a"}])
    (run / "stats.json").write_text("{}")
    with pytest.raises(UsageError, match="holds the output of an earlier run"):
        expand_inputs([f"{run}/*.json*"], refuse_run_outputs=True)


def test_corpus_dirs_stand_for_their_kept_files(tmp_path: Path) -> None:
    run = tmp_path / "run"
    for sub in ("kept", "rejected"):
        (run / sub).mkdir(parents=True)
        (run / sub / "part-00000.parquet").write_bytes(b"")
    wanted = dict(wanted=lambda name: name.endswith(".parquet"), kinds=".parquet")
    assert expand_inputs([str(run)], corpus_dirs=True, **wanted) == [str(run / "kept" / "part-00000.parquet")]
    assert len(expand_inputs([str(run)], **wanted)) == 2


def test_every_job_lists_through_the_same_lister(tmp_path: Path) -> None:
    """Tokenizer sample, training corpora, shards and dedup read each file once, as clean does."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pretrain_clean.cli.dedup import input_files
    from pretrain_clean.filters.training.corpus import read_texts
    from pretrain_clean.tokenizer.sample import iter_documents
    from pretrain_clean.tokenizer.shards import list_inputs

    root = corpus(tmp_path)
    os.symlink(".", root / "loop")
    assert sorted(t for _, t in iter_documents([root, root / "a.jsonl"])) == ["a", "b"]
    assert sorted(read_texts([str(root), f"{root}/**/*.jsonl"])) == ["a", "b"]
    run = tmp_path / "run"
    (run / "kept").mkdir(parents=True)
    pq.write_table(pa.table({"id": ["x"], "text": ["x"]}), run / "kept" / "part-00000.parquet")
    os.symlink(".", run / "kept" / "loop")
    assert list_inputs(run) == [str(run / "kept" / "part-00000.parquet")]
    assert input_files([str(run), str(run / "kept")]) == [str(run / "kept" / "part-00000.parquet")]
    with pytest.raises(UsageError, match="input not found"):
        list(iter_documents([tmp_path / "nope"]))
