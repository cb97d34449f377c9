"""Churn: baseline logistic regression vs. LightGBM vs. XGBoost.

Run from this folder:  python main.py
Reads data/train.csv and data/test.csv, writes out/predictions.csv and out/metrics.json.
Deterministic (fixed seeds), single-threaded (n_jobs=1).
"""

import json
import os

import lightgbm as lgb
import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import features

SEED = 0
OUT = "out"


def logreg():
    return make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=2000))


def lightgbm():
    return lgb.LGBMClassifier(n_estimators=150, learning_rate=0.05, num_leaves=8,
                              min_child_samples=30, subsample=0.8, subsample_freq=1,
                              random_state=SEED, n_jobs=1, verbose=-1)


def xgboost():
    return xgb.XGBClassifier(n_estimators=150, learning_rate=0.05, max_depth=3,
                             subsample=0.8, random_state=SEED, n_jobs=1, tree_method="hist")


def cross_validate(make_model, X, y, folds):
    """Out-of-fold probabilities and per-fold ROC-AUC."""
    oof = np.zeros(len(y))
    aucs = []
    for tr, va in folds:
        model = make_model().fit(X.iloc[tr], y[tr])
        oof[va] = model.predict_proba(X.iloc[va])[:, 1]
        aucs.append(roc_auc_score(y[va], oof[va]))
    return oof, aucs


def main():
    os.makedirs(OUT, exist_ok=True)
    train = features.load("data/train.csv")
    test = features.load("data/test.csv")
    y = train["churned"].to_numpy()
    features.fit_imputer(train)

    designs = {
        "baseline_logreg_raw": (features.raw_features, logreg),
        "lightgbm_engineered": (features.engineered_features, lightgbm),
        "xgboost_engineered": (features.engineered_features, xgboost),
    }
    folds = list(StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED).split(train, y))
    results = {}
    for name, (make_x, make_model) in designs.items():
        oof, aucs = cross_validate(make_model, make_x(train), y, folds)
        results[name] = {
            "cv_roc_auc_mean": round(float(np.mean(aucs)), 4),
            "cv_roc_auc_std": round(float(np.std(aucs)), 4),
            "cv_brier": round(float(brier_score_loss(y, oof)), 4),
        }
        print(f"{name:22s} CV ROC-AUC {np.mean(aucs):.3f} ± {np.std(aucs):.3f}  "
              f"Brier {results[name]['cv_brier']:.3f}")

    best = max(results, key=lambda k: results[k]["cv_roc_auc_mean"])
    make_x, make_model = designs[best]
    model = make_model().fit(make_x(train), y)
    proba = model.predict_proba(make_x(test))[:, 1]
    pd.DataFrame({"customer_id": test["customer_id"], "churn_probability": np.round(proba, 5)}) \
        .to_csv(os.path.join(OUT, "predictions.csv"), index=False)
    with open(os.path.join(OUT, "metrics.json"), "w") as f:
        json.dump({"selected_model": best, "models": results}, f, indent=2)
    print(f"selected {best}; wrote {len(proba)} predictions, mean p = {proba.mean():.3f}")


if __name__ == "__main__":
    main()
