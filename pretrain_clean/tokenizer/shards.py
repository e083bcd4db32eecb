"""Tokenize the cleaned corpus into balanced, resumable parquet shards with a manifest.

Two phases, both restartable:

1. **encode**: each input file ``DIR/kept/part-*.parquet`` is read in batches, encoded with the
   tokenizer's batch API (all cores, Rust threads), EOS appended (BOS prepended if configured),
   and spooled to ``OUT/_work/spool-NNNNN.arrow`` (Arrow IPC, written then renamed).
2. **shard**: a plan is computed from the token counts alone: documents in input order (or
   sorted by a seeded hash of their id when shuffling) are cut into ``ceil(total/shard_tokens)``
   shards, document *j* going to shard ``cum_start_j * n // total``. Each shard is gathered from
   the memory-mapped spool, optionally packed (see :mod:`tokenizer.packing`), written to
   ``part-NNNNN.parquet`` via a temp file and a rename, and recorded in ``manifest.json``.

The plan is a pure function of (inputs, tokenizer, config), so a rerun rewrites exactly the
shards the manifest does not record, byte-identical to an uninterrupted run. The tokenizer, the
input folder and the output folder may be URIs (``s3://``...; :mod:`pipeline.storage`): shards
and the manifest are written then published; the spool stays on a local disk.

Here: the inputs, the output folder, the manifest and the local engine of the two phases
(:mod:`tokenizer.shards_spark`: the Spark one; ``pipeline.engine`` chooses);
:mod:`tokenizer.encode`: tokenizer and spool; :mod:`tokenizer.shard_plan`: config and plan.
"""
from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pretrain_clean.pipeline import storage
from pretrain_clean.pipeline.plan import expand_inputs
from pretrain_clean.tokenizer.encode import OpenTokenizer, Spool, open_tokenizer, parallelism_warning, spool_file
from pretrain_clean.tokenizer.manifest import (FORMAT_VERSION, ShardError, incompatibilities, read_manifest,
                                               sha256_file, write_manifest)
from pretrain_clean.tokenizer.packing import pack_table
from pretrain_clean.tokenizer.shard_plan import ShardConfig, plan_shards, row_group_cuts, shard_name

log = logging.getLogger(__name__)

WORK_DIR = "_work"


def list_inputs(input_dir: str | Path) -> list[str]:
    """The cleaned corpus files: ``DIR/kept/*.parquet`` (or ``DIR/*.parquet``), searched
    recursively and sorted, local or a URI, through the pipeline's one lister."""
    return expand_inputs([storage.absolute(str(input_dir))], wanted=lambda name: name.endswith(".parquet"),
                         kinds=".parquet", corpus_dirs=True)


def describe_inputs(files: list[str], root: str | Path) -> list[dict[str, Any]]:
    """File name (relative to ``root``), sha256, size and row count of each input."""
    prefix = storage.absolute(str(root)).rstrip("/") + "/"
    return [{"file": f[len(prefix):] if f.startswith(prefix) else storage.basename(f),
             "sha256": sha256_file(f), "bytes": storage.size(f),
             "rows": storage.parquet_file(f).metadata.num_rows} for f in files]



def write_shard(table: pa.Table, path: str, cfg: ShardConfig) -> dict[str, Any]:
    """Write one shard (local path or URI; written, then published) and return its manifest entry."""
    documents = table.num_rows
    tokens = int(pc.sum(table.column("num_tokens")).as_py() or 0)
    if cfg.seq_len is not None:
        table = pack_table(table, cfg.seq_len)
    rows = table.num_rows
    dictionary = ["doc_sources"] if cfg.seq_len is not None else ["source"]
    cuts = row_group_cuts(table.column("num_tokens").to_numpy(), cfg.row_group_tokens)
    out = storage.OutputFile(str(path))
    try:
        with pq.ParquetWriter(out.stream, table.schema, compression=cfg.compression, use_dictionary=dictionary) as w:
            for lo, hi in zip(cuts[:-1], cuts[1:]):
                w.write_table(table.slice(lo, hi - lo), row_group_size=hi - lo)
        out.stream.close()
        digest = sha256_file(out.tmp)
    except BaseException:
        out.discard()
        raise
    out.publish()
    return {"file": storage.basename(str(path)), "documents": documents, "tokens": tokens, "rows": rows,
            "sha256": digest}


def clear_output(out: str) -> None:
    """Remove what a previous run wrote into ``out`` (shards, manifest, spool)."""
    for p in storage.list_files(out, ".parquet"):
        if storage.basename(p).startswith("part-"):
            storage.remove_tree(p)
    storage.remove_unpublished(out)
    storage.remove_tree(storage.join(out, "manifest.json"))
    shutil.rmtree(work_dir(out), ignore_errors=True)


def work_dir(out: str) -> Path:
    """The local spool folder of output folder ``out`` (``OUT/_work`` when ``out`` is local)."""
    return Path(storage.local_work_dir(out)) / WORK_DIR


def manifest_header(ot: OpenTokenizer, input_dir: str, inputs: list[dict[str, Any]],
                    cfg: ShardConfig) -> dict[str, Any]:
    """The manifest fields fixed before any shard is written."""
    return {
        "format_version": FORMAT_VERSION,
        "layout": "packed" if cfg.seq_len is not None else "documents",
        "tokenizer_path": storage.absolute(ot.path),
        "tokenizer_sha256": ot.sha256,
        "vocab_size": ot.vocab_size,
        "dtype": str(ot.dtype),
        "eos_token": ot.eos_token, "eos_id": ot.eos_id,
        "bos_token": ot.bos_token, "bos_id": ot.bos_id,
        "config": cfg.fingerprint(),
        "input_dir": storage.absolute(input_dir),
        "inputs": inputs,
    }


def prepare_output(out: str, header: dict[str, Any], overwrite: bool) -> dict[str, dict[str, Any]]:
    """Check an existing output folder against this run; return the shards already done."""
    storage.makedirs(out)
    old = read_manifest(out)
    if overwrite:
        clear_output(out)
        return {}
    if old is None:
        if any(storage.basename(p).startswith("part-") for p in storage.list_files(out, ".parquet")):
            raise ShardError(f"{out} holds part-*.parquet files but no manifest.json; "
                             "pass --overwrite to replace them")
        return {}
    problems = incompatibilities(old, header)
    if problems:
        raise ShardError(f"{out}/manifest.json was written by a different run ("
                         + "; ".join(problems) + "); pass --overwrite to replace its shards")
    return {s["file"]: s for s in old["shards"]}



class LocalEngine:
    """Runs both phases in this process (the tokenizer's own threads use every core)."""

    def encode(self, ot: OpenTokenizer, cfg: ShardConfig, jobs: list[tuple[str, Path]]) -> None:
        """Spool each (input file, spool file) pair."""
        for src, dst in jobs:
            spool_file(ot, src, dst, cfg)
            log.info("encoded %s", src)

    def write(self, cfg: ShardConfig, spool_paths: list[Path], out: str,
              todo: list[tuple[int, np.ndarray]]) -> Iterator[tuple[int, dict[str, Any]]]:
        """Write each planned shard (index, document indices); yield its manifest entry."""
        spool = Spool(spool_paths)
        for i, indices in todo:
            yield i, write_shard(spool.take(indices), storage.join(out, shard_name(i)), cfg)


def tokenize_to_shards(tokenizer: str | Path, input_dir: str | Path, output_dir: str | Path,
                       cfg: ShardConfig | None = None, overwrite: bool = False,
                       after_shard: Callable[[int], None] | None = None,
                       engine: Any = None) -> dict[str, Any]:
    """Run both phases (resuming where a previous run stopped) and return the final manifest.

    ``engine`` runs the heavy parts (default :class:`LocalEngine`; see
    :mod:`tokenizer.shards_spark`); the plan and the manifest stay here, so every engine writes
    the same bytes.
    """
    cfg = cfg or ShardConfig()
    cfg.check()
    engine = engine or LocalEngine()
    if (warning := parallelism_warning()):
        log.warning(warning)
    ot = open_tokenizer(tokenizer, cfg.eos_token, cfg.bos_token)
    input_dir, out = storage.absolute(str(input_dir)), storage.absolute(str(output_dir))
    files = list_inputs(input_dir)
    header = manifest_header(ot, input_dir, describe_inputs(files, input_dir), cfg)
    done = prepare_output(out, header, overwrite)
    old = read_manifest(out)
    if old is not None and old.get("complete") and not overwrite:
        log.info("%s is complete (%d shards); nothing to do", out, len(old["shards"]))
        return old
    manifest = dict(header, complete=False, shards=sorted(done.values(), key=lambda s: s["file"]))
    write_manifest(out, manifest)

    spool_paths = spool_paths_for(files, work_dir(out), header, cfg)
    engine.encode(ot, cfg, [(f, p) for f, p in zip(files, spool_paths) if not p.exists()])
    spool = Spool(spool_paths)
    keys = None if cfg.shuffle_seed is None else spool.column("key")
    plan = plan_shards(spool.column("num_tokens"), keys, cfg.shard_tokens)
    del spool
    manifest["planned_shards"] = len(plan)
    entries = {name: e for name, e in done.items()
               if storage.is_file(storage.join(out, name)) and sha256_file(storage.join(out, name)) == e.get("sha256")}
    todo = [(i, idx) for i, idx in enumerate(plan) if shard_name(i) not in entries]
    for i, entry in engine.write(cfg, spool_paths, out, todo):
        entries[entry["file"]] = entry
        log.info("wrote %s: %d documents, %d tokens", entry["file"], entry["documents"], entry["tokens"])
        manifest["shards"] = sorted(entries.values(), key=lambda e: e["file"])
        write_manifest(out, manifest)
        if after_shard is not None:
            after_shard(i)
    expected = [shard_name(i) for i in range(len(plan))]
    if sorted(entries) != expected:
        raise ShardError(f"{out}: shards {sorted(set(expected) ^ set(entries))} were not written; rerun to resume")
    manifest["shards"] = [entries[name] for name in expected]
    manifest["complete"] = True
    write_manifest(out, manifest)
    shutil.rmtree(work_dir(out), ignore_errors=True)
    return read_manifest(out)  # type: ignore[return-value]


def spool_paths_for(files: list[str], work: Path, header: dict[str, Any], cfg: ShardConfig) -> list[Path]:
    """Spool file of each input; spool files of a different (tokenizer, inputs, config) are removed."""
    stamp = {k: header[k] for k in ("tokenizer_sha256", "inputs", "eos_id", "bos_id", "dtype")}
    stamp["shuffle_seed"] = cfg.shuffle_seed
    stamp_path = work / "spool.json"
    if stamp_path.exists() and json.loads(stamp_path.read_text("utf-8")) != stamp:
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    storage.write_bytes(str(stamp_path), json.dumps(stamp, sort_keys=True).encode("utf-8"))
    return [work / f"spool-{i:05d}.arrow" for i in range(len(files))]
