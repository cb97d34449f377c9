"""Makes torch_mlp.onnx and torch_cnn.onnx beside this file: an MLP and a small CNN trained
with PyTorch on the coverage test's training set (data.py) and exported with torch's own
exporter (`torch.onnx.export`, its default in PyTorch 2.9: the dynamo-based one), and
torch_mlp.csv and torch_cnn.csv, PyTorch's own predictions on the test set, as the
candidate would hand them in. All four are committed, since PyTorch with its CUDA packages
is a 4 GB download: run this again (PyTorch 2.9.1, onnx, onnxscript) to remake them.

Both take the features as float32 and give the probability of class 1, one column:
the MLP takes x (N, 8); the CNN takes the eight features laid on a 3x3 grid (N, 1, 3, 3),
row by row, the last cell 0."""
import os
import sys
import tempfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data  # noqa: E402


def grid(x):
    """The features as 3x3 single-channel images: x0..x7 row by row, the last cell 0."""
    padded = torch.cat([x, torch.zeros(len(x), 1)], dim=1)
    return padded.reshape(-1, 1, 3, 3)


class Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = torch.nn.Sequential(
            torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1), torch.nn.Sigmoid()
        )

    def forward(self, x):
        return self.layers(x)


class Cnn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, kernel_size=2)
        self.head = torch.nn.Linear(16, 1)

    def forward(self, images):
        hidden = torch.relu(self.conv(images)).flatten(1)
        return torch.sigmoid(self.head(hidden))


def train(model, x, y):
    optimiser = torch.optim.Adam(model.parameters(), lr=0.02)
    loss = torch.nn.BCELoss()
    for _ in range(400):
        optimiser.zero_grad()
        loss(model(x), y).backward()
        optimiser.step()
    return model.eval()


def main():
    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as folder:
        data.write(folder)
        features, labels = data.train_arrays(folder)
        ids, test = data.test_arrays(folder)
    x = torch.tensor(features, dtype=torch.float32)
    y = torch.tensor(labels, dtype=torch.float32).reshape(-1, 1)
    test = torch.tensor(test, dtype=torch.float32)
    for name, model, inputs, input_name, test_inputs in [
        ("torch_mlp", train(Mlp(), x, y), x, "x", test),
        ("torch_cnn", train(Cnn(), grid(x), y), grid(x), "images", grid(test)),
    ]:
        with torch.no_grad():
            data.write_predictions(
                os.path.join(HERE, f"{name}.csv"), ids, model(test_inputs)[:, 0].tolist()
            )
        path = os.path.join(HERE, f"{name}.onnx")
        torch.onnx.export(
            model,
            (inputs[:2],),
            path,
            input_names=[input_name],
            output_names=["probability"],
            # The default keeps the weights in NAME.onnx.data beside the model, which
            # takehome never reads (`external_data`): candidates must export with this.
            external_data=False,
            # The input's name is its forward() argument's: the batch size is free.
            dynamic_shapes={input_name: {0: torch.export.Dim("batch")}},
        )
        print(name, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
