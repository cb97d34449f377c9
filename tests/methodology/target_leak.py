import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.linear_model import LogisticRegression
from shared import churn
df = churn().drop(columns=["plan"])
df["churned_flag"] = df["churn"].map({0: "no", 1: "yes"})
X = pd.get_dummies(df.drop(columns=["churn"]), dtype=float)
y = df["churn"]
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
print(LogisticRegression(max_iter=500).fit(X_train, y_train).score(X_test, y_test))
