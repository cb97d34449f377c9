from sklearn.model_selection import train_test_split, cross_val_score
from sklearn.linear_model import LogisticRegression
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score, f1_score
from shared import churn
df = churn().drop(columns=["plan"])
X, y = df.drop(columns=["churn"]), df["churn"]
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
models = [LogisticRegression(max_iter=500), RandomForestClassifier(n_estimators=20, random_state=0)]
cv = [cross_val_score(m, X_train, y_train, cv=3).mean() for m in models]
best = models[cv.index(max(cv))].fit(X_train, y_train)
pred = best.predict(X_test)
print("accuracy", round(accuracy_score(y_test, pred), 4), "f1", round(f1_score(y_test, pred), 4))
