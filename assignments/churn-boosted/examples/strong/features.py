"""Feature engineering for the churn model.

Everything here is a pure function of one customer's row, so train and test are
transformed identically and nothing is learned from the test file.
"""

import numpy as np
import pandas as pd

CATEGORICAL = ["contract", "plan", "region", "acquisition_channel"]
NUMERIC = [
    "tenure_months", "monthly_charges", "addons", "autopay", "payment_failures_12m",
    "support_tickets_90d", "avg_weekly_sessions", "usage_change_3m",
    "days_since_last_login", "price_increase_6m", "on_promo",
]
# Levels fixed up front so train and test always get the same columns.
LEVELS = {
    "contract": ["month-to-month", "annual", "two-year"],
    "plan": ["basic", "standard", "premium"],
    "region": ["north", "south", "east", "west", "central"],
    "acquisition_channel": ["organic", "paid_search", "referral", "partner"],
}
# Medians from the training file; filled in by fit_imputer().
_MEDIANS = {}


def load(path):
    return pd.read_csv(path)


def fit_imputer(train):
    """Remember training medians for the columns that have tracking gaps."""
    for col in ["avg_weekly_sessions", "usage_change_3m"]:
        _MEDIANS[col] = float(train[col].median())


def one_hot(df):
    cols = {}
    for col in CATEGORICAL:
        for level in LEVELS[col][1:]:  # first level is the reference
            cols[f"{col}={level}"] = (df[col] == level).astype(float)
    return pd.DataFrame(cols, index=df.index)


def raw_features(df):
    """Baseline design: the given columns as they are, one-hot categoricals, median fill."""
    X = df[NUMERIC].astype(float).copy()
    for col, med in _MEDIANS.items():
        X[col] = X[col].fillna(med)
    return pd.concat([X, one_hot(df)], axis=1)


def engineered_features(df):
    """Raw design plus features that encode the hypotheses in REPORT.md."""
    X = raw_features(df)
    X["log_tenure"] = np.log(df["tenure_months"].astype(float))
    # H2: the promotional price ends after 12 months; churn clusters right around it.
    X["promo_ending"] = ((df["on_promo"] == 1) & df["tenure_months"].between(10, 14)).astype(float)
    # H3: premium customers are less tolerant of support problems.
    X["premium_x_tickets"] = (df["plan"] == "premium") * df["support_tickets_90d"].clip(upper=6)
    # H4: price rises hurt most where nothing locks the customer in.
    X["m2m_x_price_increase"] = (df["contract"] == "month-to-month") * df["price_increase_6m"]
    # Failed payments matter less when autopay retries them.
    X["failures_no_autopay"] = df["payment_failures_12m"] * (1 - df["autopay"])
    X["login_gap_log"] = np.log1p(df["days_since_last_login"].astype(float))
    X["usage_missing"] = df["usage_change_3m"].isna().astype(float)
    X["sessions_missing"] = df["avg_weekly_sessions"].isna().astype(float)
    return X
