from sklearn.model_selection import train_test_split
from sklearn.linear_model import LogisticRegression
from sklearn.ensemble import RandomForestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.metrics import accuracy_score
from shared import churn
df = churn().drop(columns=["plan"])
X, y = df.drop(columns=["churn"]), df["churn"]
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
models = {"lr": LogisticRegression(max_iter=500), "rf": RandomForestClassifier(n_estimators=20, random_state=0), "knn": KNeighborsClassifier()}
scores = {}
for name, m in models.items():
    m.fit(X_train, y_train)
    scores[name] = accuracy_score(y_test, m.predict(X_test))
print("best", max(scores, key=scores.get), round(max(scores.values()), 4))
