"""Window features for the sensor anomaly detector.

Idea: most of the variation in the raw channels is normal (shifts start and stop,
temperature lags load), so instead of scoring raw values we score how far each channel
is from what the *other two* channels predict for that machine, plus two signatures that
cross-channel residuals miss (frozen values, single-reading jumps).
"""

import numpy as np
import pandas as pd
from sklearn.linear_model import HuberRegressor

CHANNELS = ["temperature", "vibration", "pressure"]


def load(path):
    df = pd.read_csv(path, parse_dates=["timestamp"])
    return df.sort_values(["machine_id", "timestamp"]).reset_index(drop=True)


def _residual(target, inputs, fit_rows):
    """Residual of a Huber regression (robust to the anomalies it is fitted on),
    fitted on `fit_rows` only and evaluated everywhere."""
    X = np.column_stack(inputs)
    X = (X - X[fit_rows].mean(axis=0)) / X[fit_rows].std(axis=0)
    model = HuberRegressor(epsilon=1.35, max_iter=500).fit(X[fit_rows], target[fit_rows])
    return target - model.predict(X)


def machine_off(g):
    """Readings where the machine is stopped: vibration far below its idle level.
    A stopped machine is a different regime, not an anomaly (see the planned stops
    in labels_sample.csv)."""
    v = g["vibration"].to_numpy()
    return v < 0.5 * np.quantile(v, 0.05)


def add_residuals(df, handle_stops=True):
    """Per machine: cross-channel residuals, robust-standardized, plus reading-level flags.
    With handle_stops, residuals are fitted on running readings and stopped readings get
    neutral values; without it every reading is treated alike (the first version)."""
    parts = []
    for _, g in df.groupby("machine_id", sort=True):
        g = g.copy()
        off = machine_off(g) if handle_stops else np.zeros(len(g), dtype=bool)
        on = ~off
        logv = np.log(g["vibration"].to_numpy())
        temp = g["temperature"].to_numpy()
        pres = g["pressure"].to_numpy()
        temp_res = _residual(temp, [pres, logv], on)
        g["temp_res"] = np.where(off, 0.0, temp_res)
        for name, res in [("temp_res_z", temp_res),
                          ("vib_res_z", _residual(logv, [pres, temp], on)),
                          ("pres_res_z", _residual(pres, [temp, logv], on))]:
            z = (res - np.median(res[on])) / max(1.4826 * np.median(np.abs(res[on] - np.median(res[on]))), 1e-6)
            g[name] = np.where(off, 0.0, z)
        jump = np.abs(np.diff(logv, prepend=logv[0]))
        near_off = off | np.roll(off, 1)  # the step into or out of a stop is a jump too
        g["vib_jump"] = np.where(near_off, 0.0, jump)
        g["repeat"] = (g["temperature"].diff().eq(0) | g["pressure"].diff().eq(0)).astype(int)
        g["off"] = off.astype(int)
        parts.append(g)
    return pd.concat(parts)


def _slope(values):
    t = np.arange(len(values), dtype=float)
    return float(np.polyfit(t, np.asarray(values, dtype=float), 1)[0])


def window_features(df):
    """One row per window_id."""
    g = df.groupby("window_id", sort=True)
    feats = pd.DataFrame({
        "temp_res_mean": g["temp_res_z"].mean().abs(),
        "temp_res_slope": g["temp_res"].apply(_slope).abs(),
        "vib_res_mean": g["vib_res_z"].mean(),
        "vib_res_max": g["vib_res_z"].max(),
        "pres_res_mean": g["pres_res_z"].mean().abs(),
        "pres_res_absmax": g["pres_res_z"].apply(lambda x: x.abs().max()),
        "vib_jump_max": g["vib_jump"].max(),
        "repeats": g["repeat"].sum(),
    })
    feats["machine_id"] = g["machine_id"].first()
    feats["start"] = g["timestamp"].min()
    return feats


FEATURE_COLUMNS = ["temp_res_mean", "temp_res_slope", "vib_res_mean", "vib_res_max",
                   "pres_res_mean", "pres_res_absmax", "vib_jump_max", "repeats"]


def scale_features(feats):
    """Robust-scale each feature over all windows so no single one dominates."""
    X = feats[FEATURE_COLUMNS].astype(float)
    med = X.median()
    mad = (X - med).abs().median() * 1.4826
    return (X - med) / mad.clip(lower=1e-3)
