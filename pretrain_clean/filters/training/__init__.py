"""Training code for the learned scorers (KenLM, fastText classifiers).

Called by the thin scripts ``jobs/train_kenlm.py``, ``jobs/train_quality.py`` and
``jobs/train_toxicity.py``; it registers no stage.
"""
