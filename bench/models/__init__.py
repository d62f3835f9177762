"""Model adapters: one thin class per family behind the ``Forecaster`` interface."""
