"""Pure metrics, lag diagnostics and DM tests, verdicts, and frame-level scoring."""
