import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.linear_model import LogisticRegression
from shared import churn
df = churn().drop(columns=["plan"])
rng = np.random.default_rng(1)
df["strong"] = df["churn"] * 2.0 + rng.normal(0, 0.6, len(df))
df["flag"] = np.where(rng.random(len(df)) < 0.97, df["churn"], 1 - df["churn"])
X, y = df.drop(columns=["churn"]), df["churn"]
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
print(LogisticRegression(max_iter=500).fit(X_train, y_train).score(X_test, y_test))
