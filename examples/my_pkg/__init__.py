"""An example user package: a model lagbench has never seen, plugged in by config."""
