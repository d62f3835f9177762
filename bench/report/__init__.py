"""Markdown report and plots, rendered from a run's stored files (the reporter never refits)."""
