"""Churn model: three classifiers compared, the best one kept.

Two classic faults on purpose (the example with leaks): the scaler is fitted on every row
before the split, and the model is chosen by its score on the test split, which is then
reported as if it were an unbiased estimate.
"""

import os

import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

train = pd.read_csv("data/train.csv")
test = pd.read_csv("data/test.csv")


def design(df):
    X = pd.get_dummies(df.drop(columns=["customer_id", "churned"], errors="ignore"),
                       columns=["contract", "plan", "region", "acquisition_channel"], dtype=float)
    return X.fillna(0.0)


X = design(train)
y = train["churned"]
scaler = StandardScaler()
X_scaled = scaler.fit_transform(X)
X_train, X_test, y_train, y_test = train_test_split(X_scaled, y, test_size=0.25, random_state=7)

models = {
    "logistic regression": LogisticRegression(C=1.0, max_iter=1000),
    "random forest": RandomForestClassifier(n_estimators=60, max_depth=6, random_state=0, n_jobs=1),
    "k nearest neighbours": KNeighborsClassifier(n_neighbors=25),
}
scores = {}
for name, model in models.items():
    model.fit(X_train, y_train)
    scores[name] = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
    print(f"{name}: test AUC {scores[name]:.4f}")

best = max(scores, key=scores.get)
print(f"best model: {best}, test AUC {scores[best]:.4f}")

final = models[best]
X_new = scaler.transform(design(test).reindex(columns=X.columns, fill_value=0.0))
os.makedirs("out", exist_ok=True)
pd.DataFrame({"customer_id": test["customer_id"],
              "churn_probability": final.predict_proba(X_new)[:, 1].round(5)}).to_csv(
    "out/predictions.csv", index=False)
print("done")
