"""Churn: baseline vs. engineered logistic regression vs. gradient boosting.

Run from this folder:  python main.py
Reads data/train.csv and data/test.csv, writes out/predictions.csv, out/metrics.json
and out/feature_importance.png. Deterministic (fixed seeds), single-threaded.
"""

import json
import os

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier
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


def gbm():
    return GradientBoostingClassifier(n_estimators=60, max_depth=2, learning_rate=0.1,
                                      subsample=0.8, random_state=SEED)


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
        "logreg_engineered": (features.engineered_features, logreg),
        "gbm_engineered": (features.engineered_features, gbm),
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
    X_train, X_test = make_x(train), make_x(test)
    model = make_model().fit(X_train, y)
    proba = model.predict_proba(X_test)[:, 1]
    pd.DataFrame({"customer_id": test["customer_id"], "churn_probability": np.round(proba, 5)}) \
        .to_csv(os.path.join(OUT, "predictions.csv"), index=False)

    # What drives churn: standardized coefficients of the engineered logistic regression
    # (refit on all training data; one unit = one standard deviation of the feature).
    X_eng = features.engineered_features(train)
    lr = logreg().fit(X_eng, y)
    coefs = pd.Series(lr[-1].coef_[0], index=X_eng.columns)
    top = coefs.reindex(coefs.abs().sort_values(ascending=False).index)[:15][::-1]
    fig, ax = plt.subplots(figsize=(7, 5))
    ax.barh(top.index, top.values, color=["#c0392b" if v > 0 else "#2471a3" for v in top.values])
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("standardized log-odds coefficient (red: raises churn)")
    ax.set_title("Churn drivers, engineered logistic regression")
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, "feature_importance.png"), dpi=100)

    summary = {
        "selected_model": best,
        "models": results,
        "train_churn_rate": round(float(y.mean()), 4),
        "test_mean_predicted_churn": round(float(proba.mean()), 4),
        "top_drivers": {k: round(float(v), 3) for k, v in top[::-1].items()},
    }
    with open(os.path.join(OUT, "metrics.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(f"selected {best}; wrote {len(proba)} predictions, mean p = {proba.mean():.3f}")


if __name__ == "__main__":
    main()
