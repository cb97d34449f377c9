# Data for the methodology tests: a small churn-like table, made the same way every run.
import numpy as np
import pandas as pd


def churn(n=1000, seed=0):
    r = np.random.default_rng(seed)
    df = pd.DataFrame({
        "tenure": r.integers(0, 72, n),
        "monthly": np.round(r.normal(70, 20, n), 2),
        "plan": r.choice(["basic", "plus", "pro"], n),
        "calls": r.integers(0, 10, n),
    })
    logit = -1 + 0.04 * (df.monthly - 70) - 0.03 * df.tenure + 0.3 * df.calls
    df["churn"] = (r.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return df


def coarse(n=1000, seed=0):
    """Three small integer features: many rows are identical by nature."""
    r = np.random.default_rng(seed)
    df = pd.DataFrame({"a": r.integers(0, 3, n), "b": r.integers(0, 2, n), "c": r.integers(0, 3, n)})
    df["y"] = ((df.a + df.b + r.integers(0, 2, n)) > 2).astype(int)
    return df
