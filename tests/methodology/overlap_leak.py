import pandas as pd
from sklearn.utils import resample
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier
from sklearn.metrics import accuracy_score
from shared import churn
df = churn().drop(columns=["plan"])
major, minor = df[df.churn == 0], df[df.churn == 1]
up = resample(minor, replace=True, n_samples=len(major), random_state=0)
df = pd.concat([major, up])
X, y = df.drop(columns=["churn"]), df["churn"]
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
tree = DecisionTreeClassifier(random_state=0).fit(X_train, y_train)
print("accuracy", accuracy_score(y_test, tree.predict(X_test)))
