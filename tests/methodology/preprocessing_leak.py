import pandas as pd
from sklearn.preprocessing import StandardScaler
from sklearn.model_selection import train_test_split
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from shared import churn
df = churn()
X = pd.get_dummies(df.drop(columns=["churn"]), dtype=float)
y = df["churn"]
X = StandardScaler().fit_transform(X)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
model = LogisticRegression().fit(X_train, y_train)
print("accuracy", accuracy_score(y_test, model.predict(X_test)))
