"""statsforecast's rolling ARIMA, timed in the reference interpreter (``make perf``'s ``.venv-refs``).

statsforecast needs pandas < 3 and lagbench runs on pandas 3, so the reference lives in its own
venv and this file is run there *as a script* (it imports nothing from lagbench). It reads the
series from a ``.npy`` file, warms numba up untimed, times one ``cross_validation`` and prints JSON.
    python statsforecast_child.py series.npy N_WINDOWS REFIT
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import ARIMA


def main(path: str, n_windows: int, refit: int) -> dict:
    y = np.load(path)
    frame = pd.DataFrame({"unique_id": "s", "ds": np.arange(len(y)), "y": y})
    sf = StatsForecast(models=[ARIMA(order=(1, 1, 1), include_drift=True)], freq=1, n_jobs=1)
    sf.cross_validation(df=frame.iloc[-120:], h=1, n_windows=2, step_size=1)  # numba compile, untimed
    start = time.perf_counter()
    cv = sf.cross_validation(df=frame, h=1, n_windows=n_windows, step_size=1, refit=refit)
    seconds = time.perf_counter() - start
    import statsforecast

    return {"seconds": seconds, "y_hat": cv["ARIMA"].tolist(), "version": statsforecast.__version__}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))
