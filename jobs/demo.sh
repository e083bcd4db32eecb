#!/usr/bin/env bash
# The whole main job end to end on the bundled sample corpus (data/sample):
#   1. train the scorer models (KenLM en/zh, fastText quality) from bundled data
#   2. clean: normalize -> rules -> language ID -> PII -> perplexity -> quality -> toxicity -> dedup
#   3. train a Yi-style SentencePiece BPE and a YAYI 2-style byte-level BPE on the cleaned text
#   4. compare them (and GPT-2 / cl100k) on held-out zh/en/code/math/de text
#   5. write tokenized parquet shards and verify them
# Usage: bash jobs/demo.sh [OUT_DIR]   (ENGINE=spark runs step 2 with spark-submit)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out/sample}
ENGINE=${ENGINE:-local}
M=$OUT/models
rm -rf "$OUT"
mkdir -p "$OUT"

echo "== 1/5 train scorer models into $M"
bash jobs/train_models.sh "$M"

echo "== 2/5 clean data/sample -> $OUT/clean ($ENGINE engine)"
CLEAN_ARGS=(--config default --input data/sample --output "$OUT/clean"
  --set "stages.perplexity.models={en=\"$M/kenlm/en.arpa.bin\", zh=\"$M/kenlm/zh.arpa.bin\"}"
  --set "stages.quality_classifier.model_path=\"$M/quality/en.ftz\"")
if [ "$ENGINE" = spark ]; then
  spark-submit --master "local[*]" jobs/clean.py "${CLEAN_ARGS[@]}"
else
  pretrain-clean clean --engine local "${CLEAN_ARGS[@]}"
fi

echo "== 3/5 train tokenizers on the cleaned text"
pretrain-clean train-tokenizer --kind spm --vocab-size 8000 --input "$OUT/clean" --output "$OUT/tokenizers/spm"
pretrain-clean train-tokenizer --kind bpe --vocab-size 8000 --input "$OUT/clean" --output "$OUT/tokenizers/bpe"

echo "== 4/5 compression report"
pretrain-clean report-tokenizers --tokenizer spm="$OUT/tokenizers/spm/tokenizer.model" \
  bpe="$OUT/tokenizers/bpe/tokenizer.json" --output "$OUT/tokenizer_report"

echo "== 5/5 tokenized shards"
pretrain-clean shards --tokenizer "$OUT/tokenizers/bpe/tokenizer.json" --input "$OUT/clean" \
  --output "$OUT/shards" --shard-tokens 100000
pretrain-clean verify-shards "$OUT/shards"

echo
echo "done: $OUT/clean/{kept,rejected,quarantine}/, stats.json, funnel.md/svg, dedup_report.md;"
echo "      $OUT/tokenizer_report/report.{md,csv,png}; $OUT/shards/part-*.parquet + manifest.json"
