# Anomaly detection on sensor windows with Isolation Forest
import os

import pandas as pd
from sklearn.ensemble import IsolationForest

os.makedirs("out", exist_ok=True)

df = pd.read_csv("data/sensors.csv")

# summary statistics per window
agg = df.groupby("window_id")[["temperature", "vibration", "pressure"]].agg(["mean", "std", "max"])
agg.columns = ["_".join(c) for c in agg.columns]

model = IsolationForest(n_estimators=100, contamination=0.1, random_state=42)
model.fit(agg)
scores = -model.decision_function(agg)

labels = pd.read_csv("data/labels_sample.csv")
flagged = set(agg.index[model.predict(agg) == -1])
hits = sum(1 for w, y in zip(labels.window_id, labels.is_anomaly) if y == 1 and w in flagged)
print("labelled anomalies detected:", hits, "of", int(labels.is_anomaly.sum()))

pd.DataFrame({"window_id": agg.index, "anomaly_score": scores}).to_csv("out/predictions.csv", index=False)
print("saved predictions")
