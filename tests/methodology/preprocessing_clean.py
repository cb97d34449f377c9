import pandas as pd
from sklearn.preprocessing import StandardScaler
from sklearn.pipeline import make_pipeline
from sklearn.model_selection import train_test_split, GridSearchCV
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from shared import churn
df = churn()
X = pd.get_dummies(df.drop(columns=["churn"]), dtype=float)
y = df["churn"]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
search = GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression()), {"logisticregression__C": [0.1, 1, 10]}, cv=3)
search.fit(X_train, y_train)
print("train accuracy", search.score(X_train, y_train))
print("accuracy", accuracy_score(y_test, search.predict(X_test)))
print("auc", roc_auc_score(y_test, search.predict_proba(X_test)[:, 1]))
