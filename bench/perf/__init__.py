"""`make perf`: speed as ratios to references timed in the same run."""
