"""The coverage test's data: 8 features in [-1, 1] and a label, from the standard library's
seeded generator only, so every interpreter and numpy version writes the same bytes.

`python3 data.py DIR` writes DIR/train.csv (with the label), DIR/test.csv (without) and
DIR/test_labels.csv (the hidden truth)."""
import math
import random
import sys

FEATURES = [f"x{i}" for i in range(8)]
TRAIN, TEST = 600, 200


def rows(n, rng):
    out = []
    for _ in range(n):
        x = [round(rng.uniform(-1, 1), 3) for _ in FEATURES]
        z = 1.5 * x[0] - x[1] + x[2] * x[3] * 2 + math.sin(3 * x[4]) - 0.5 * x[5] ** 2
        out.append((x, int(z + rng.gauss(0, 0.4) > 0)))
    return out


def write(folder):
    rng = random.Random(26)
    train, test = rows(TRAIN, rng), rows(TEST, rng)
    header = ",".join(FEATURES)
    with open(f"{folder}/train.csv", "w") as f:
        f.write(f"customer_id,{header},churned\n")
        for i, (x, y) in enumerate(train):
            f.write(f"T{i:05d}," + ",".join(f"{v:.3f}" for v in x) + f",{y}\n")
    with open(f"{folder}/test.csv", "w") as f:
        f.write(f"customer_id,{header}\n")
        for i, (x, _) in enumerate(test):
            f.write(f"C{100000 + i}," + ",".join(f"{v:.3f}" for v in x) + "\n")
    with open(f"{folder}/test_labels.csv", "w") as f:
        f.write("customer_id,churned\n")
        for i, (_, y) in enumerate(test):
            f.write(f"C{100000 + i},{y}\n")


def train_arrays(folder):
    """The training set as lists: features (rows of 8 floats) and labels."""
    x, y = [], []
    with open(f"{folder}/train.csv") as f:
        next(f)
        for line in f:
            fields = line.strip().split(",")
            x.append([float(v) for v in fields[1:9]])
            y.append(int(fields[9]))
    return x, y


def test_arrays(folder):
    """The test set as lists: ids and features (rows of 8 floats)."""
    ids, x = [], []
    with open(f"{folder}/test.csv") as f:
        next(f)
        for line in f:
            fields = line.strip().split(",")
            ids.append(fields[0])
            x.append([float(v) for v in fields[1:9]])
    return ids, x


def write_predictions(path, ids, probabilities):
    """A candidate's predictions file: the id and the probability of class 1."""
    with open(path, "w") as f:
        f.write("customer_id,churn_probability\n")
        for id, p in zip(ids, probabilities):
            f.write(f"{id},{float(p):.6f}\n")


if __name__ == "__main__":
    write(sys.argv[1])
