"""Trains eight models on the coverage data and exports each to ONNX with the exporter a
candidate would use: skl2onnx for six scikit-learn models and pipelines, onnxmltools for
XGBoost and LightGBM; and one model no runtime can run. `python export.py DATA OUT` reads
DATA/train.csv and writes OUT/NAME.onnx and OUT/NAME.csv: the model's own predictions on
DATA/test.csv (`predict_proba`), as the candidate would hand them in."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402

from lightgbm import LGBMClassifier  # noqa: E402
from onnx import helper  # noqa: E402
from onnxmltools import convert_lightgbm, convert_xgboost  # noqa: E402
from onnxmltools.convert.common.data_types import FloatTensorType as MlFloat  # noqa: E402
from skl2onnx import to_onnx  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from xgboost import XGBClassifier  # noqa: E402

source, out = sys.argv[1], sys.argv[2]
x, y = data.train_arrays(source)
x, y = np.array(x, dtype=np.float32), np.array(y)
ids, test = data.test_arrays(source)
test = np.array(test, dtype=np.float32)

sklearn_models = {
    "skl2onnx_scaler_logistic": make_pipeline(StandardScaler(), LogisticRegression()),
    "skl2onnx_random_forest": RandomForestClassifier(n_estimators=30, max_depth=6, random_state=0),
    "skl2onnx_gradient_boosting": GradientBoostingClassifier(n_estimators=40, random_state=0),
    "skl2onnx_hist_gradient_boosting": HistGradientBoostingClassifier(max_iter=40, random_state=0),
    "skl2onnx_mlp": make_pipeline(
        StandardScaler(), MLPClassifier(hidden_layer_sizes=(16,), max_iter=2000, random_state=0)
    ),
    "skl2onnx_scaler_knn": make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=15)),
}
for name, model in sklearn_models.items():
    model.fit(x, y)
    onnx = to_onnx(model, x[:1], target_opset={"": 17, "ai.onnx.ml": 3})
    with open(f"{out}/{name}.onnx", "wb") as f:
        f.write(onnx.SerializeToString())
    data.write_predictions(f"{out}/{name}.csv", ids, model.predict_proba(test)[:, 1])

xgb = XGBClassifier(n_estimators=40, max_depth=3, random_state=0, n_jobs=1, tree_method="hist")
xgb.fit(x, y)
lgbm = LGBMClassifier(n_estimators=40, num_leaves=8, random_state=0, n_jobs=1, verbose=-1)
lgbm.fit(x, y)
initial = [("input", MlFloat([None, x.shape[1]]))]
for name, model, onnx in [
    ("onnxmltools_xgboost", xgb, convert_xgboost(xgb, initial_types=initial, target_opset=15)),
    ("onnxmltools_lightgbm", lgbm, convert_lightgbm(lgbm, initial_types=initial, target_opset=15)),
]:
    with open(f"{out}/{name}.onnx", "wb") as f:
        f.write(onnx.SerializeToString())
    data.write_predictions(f"{out}/{name}.csv", ids, model.predict_proba(test)[:, 1])
# A model neither runtime can run: the scaled logistic regression with a team's own
# operator after it (com.example.Calibrate).
custom = to_onnx(
    sklearn_models["skl2onnx_scaler_logistic"], x[:1], target_opset={"": 17, "ai.onnx.ml": 3}
)
custom.graph.node.append(
    helper.make_node("Calibrate", ["output_label"], ["calibrated"], domain="com.example")
)
custom.opset_import.append(helper.make_opsetid("com.example", 1))
with open(f"{out}/custom_operator.onnx", "wb") as f:
    f.write(custom.SerializeToString())
data.write_predictions(
    f"{out}/custom_operator.csv",
    ids,
    sklearn_models["skl2onnx_scaler_logistic"].predict_proba(test)[:, 1],
)
print("exported", len(sklearn_models) + 2, "and one with a custom operator")
