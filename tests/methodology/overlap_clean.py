import pandas as pd
from sklearn.utils import resample
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier
from sklearn.metrics import accuracy_score
from shared import coarse
df = coarse()
train, test = train_test_split(df, random_state=0)
major, minor = train[train.y == 0], train[train.y == 1]
up = resample(minor, replace=True, n_samples=len(major), random_state=0)
train = pd.concat([major, up])
tree = DecisionTreeClassifier(random_state=0).fit(train.drop(columns=["y"]), train["y"])
print("accuracy", accuracy_score(test["y"], tree.predict(test.drop(columns=["y"]))))
