"""update_state and result of every built-in metric run without reading a value back to the
host (``.item()``, ``bool(tensor)``, ``.cpu()``... all raise here)."""

import pytest
import torch

from kerasish import losses, metrics

BINARY = (torch.tensor([[1.0], [0.0], [1.0], [0.0]]), torch.tensor([[0.9], [0.4], [0.3], [0.0]]))
MULTI = (torch.tensor([[1.0, 0.0, 1.0]] * 4), torch.tensor([[0.9, 0.4, 0.3]] * 4))
SPARSE = (torch.tensor([0.0, 2.0, 1.0, 2.0]), torch.tensor([[0.9, 0.05, 0.05]] * 4))
CLASSES = (torch.tensor([0, 2, 1, 2]), torch.tensor([0, 1, 1, 2]))

CASES = [
    (metrics.BinaryAccuracy(), BINARY), (metrics.Accuracy(), CLASSES),
    (metrics.CategoricalAccuracy(), MULTI), (metrics.SparseCategoricalAccuracy(), SPARSE),
    (metrics.TopKCategoricalAccuracy(k=2), MULTI), (metrics.SparseTopKCategoricalAccuracy(k=2), SPARSE),
    (metrics.AUC(), BINARY), (metrics.AUC(curve="PR"), BINARY), (metrics.AUC(multi_label=True), MULTI),
    (metrics.AUC(thresholds=[0.3, 0.6]), BINARY), (metrics.AUC(from_logits=True, label_weights=[1.0]), BINARY),
    (metrics.Precision(), BINARY), (metrics.Recall(thresholds=[0.2, 0.7]), MULTI),
    (metrics.Precision(top_k=2), MULTI), (metrics.Recall(class_id=1), MULTI),
    (metrics.TruePositives(), BINARY), (metrics.FalseNegatives(thresholds=[0.0, 0.5, 1.0]), BINARY),
    (metrics.SensitivityAtSpecificity(0.5), BINARY), (metrics.RecallAtPrecision(0.5), BINARY),
    (metrics.MeanSquaredError(), MULTI), (metrics.MeanAbsoluteError(), MULTI),
    (metrics.MeanAbsolutePercentageError(), MULTI), (metrics.MeanSquaredLogarithmicError(), MULTI),
    (metrics.RootMeanSquaredError(), MULTI), (metrics.CosineSimilarity(), MULTI),
    (metrics.LogCoshError(), MULTI), (metrics.R2Score(num_regressors=1), MULTI),
    (metrics.Hinge(), BINARY), (metrics.SquaredHinge(), BINARY), (metrics.CategoricalHinge(), MULTI),
    (metrics.KLDivergence(), MULTI), (metrics.Poisson(), MULTI),
    (metrics.BinaryCrossentropy(), BINARY), (metrics.CategoricalCrossentropy(), MULTI),
    (metrics.SparseCategoricalCrossentropy(ignore_class=1), SPARSE),
    (metrics.MeanIoU(num_classes=3), CLASSES), (metrics.BinaryIoU(), BINARY),
    (metrics.OneHotMeanIoU(num_classes=3), MULTI),
    (metrics.F1Score(average="weighted"), MULTI), (metrics.FBetaScore(beta=2.0, threshold=0.5), MULTI),
    (metrics.PearsonCorrelation(), MULTI), (metrics.ConcordanceCorrelation(), MULTI),
] + [
    (metrics.MeanMetricWrapper(fn), MULTI)
    for name, fn in sorted(losses.ALL_OBJECTS.items())
    if callable(fn) and not isinstance(fn, type) and name == fn.__name__
    and fn not in (losses.sparse_categorical_crossentropy, losses.ctc, losses.circle,
                   losses.categorical_generalized_cross_entropy, losses.dice, losses.tversky)
] + [(metrics.MeanMetricWrapper(losses.dice), MULTI)]  # fmt: skip


@pytest.mark.parametrize("metric, data", CASES, ids=lambda x: getattr(x, "name", ""))
def test_updates_and_results_stay_on_the_device(metric, data, no_host_sync):
    weight = torch.tensor([1.0, 0.5, 2.0, 1.0])
    whole_batch = isinstance(metric, metrics.IoU) or getattr(metric, "_fn", None) is losses.dice
    metric.update_state(*data, sample_weight=None if whole_batch else weight)
    metric.update_state(*data)
    assert isinstance(metric.result(), torch.Tensor)
    metric.reset_state()


def test_loss_trackers_take_scalars(no_host_sync):
    tracker = metrics.Mean(name="loss")
    tracker.update_state(torch.tensor(0.25))
    tracker.update_state(torch.tensor(0.75))
    assert isinstance(tracker.result(), torch.Tensor)
