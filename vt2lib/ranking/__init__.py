"""Top-N ranking (notebook 10): metrics, scorers, baselines trained for ranking, paired tests, runs."""
