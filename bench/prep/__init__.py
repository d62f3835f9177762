"""Shared preprocessing: splits, invertible transforms, windows — fitted on training data only."""
