"""The collapse doctor: why does *this* network give the same output for every input?

Two entry points:
  * `CollapseMonitor(x_probe, y_probe)`, a Keras callback: measures the project's collapse
    metrics every epoch and logs one warning, with the likely causes, when the model collapses;
  * `collapse-doctor MODEL.keras --data DATA.npz` (experiments.doctor.cli): diagnoses a saved
    model on its data, ranks causes from a documented vocabulary (experiments.doctor.causes)
    and, with --try-fixes, retrains copies with one change each to test the fixes.

Example:
    from experiments.doctor import CollapseMonitor, diagnose
    model.fit(x, y, epochs=20, callbacks=[CollapseMonitor(x[:256], y[:256])])
    report = diagnose(model, x, y)
"""

import importlib

# Imported on first use, so that `collapse-doctor` can quiet TensorFlow before it loads.
_EXPORTS = {"CAUSES": "experiments.doctor.causes", "CollapseMonitor": "experiments.doctor.monitor",
            "diagnose": "experiments.doctor.diagnosis"}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'experiments.doctor' has no attribute {name!r}")
