# churn model
import os

import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score

os.makedirs("out", exist_ok=True)

train = pd.read_csv("data/train.csv")
test = pd.read_csv("data/test.csv")

cols = ["tenure_months", "monthly_charges", "support_tickets_90d", "addons"]

model = RandomForestClassifier(n_estimators=40, random_state=1, n_jobs=1)
model.fit(train[cols], train["churned"])

# validation
auc = roc_auc_score(train["churned"], model.predict_proba(train[cols])[:, 1])
print("validation AUC:", round(auc, 3))

pred = model.predict_proba(test[cols])[:, 1]
pd.DataFrame({"customer_id": test["customer_id"], "churn_probability": pred}).to_csv(
    "out/predictions.csv", index=False
)
print("done")
