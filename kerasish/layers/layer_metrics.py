"""Metrics a layer tracks: ``layer.metrics`` / ``metrics_variables`` (Keras 3) and tf.keras 2's
``add_metric(value, name)``.

Keras 3 removed ``add_metric`` (it raises); kerasish keeps tf.keras 2's meaning because it is a
Keras 2 API that working code uses: inside ``call``, the value is averaged by a ``Mean`` metric
of that name, created on first use and kept on the layer, and it shows up in
``model.metrics``, hence in ``fit``/``evaluate`` logs and the History, reset each epoch. The
update stays on the device (no host read per call).
"""

from __future__ import annotations

from typing import Any, Optional

import torch


class LayerMetricsMixin:
    def add_metric(self, value: Any, name: Optional[str] = None, **kwargs: Any) -> None:
        """tf.keras 2: average ``value`` (a tensor computed in ``call``) as metric ``name``."""
        from kerasish.graph.keras_tensor import KerasTensor
        from kerasish.metrics import Mean

        if len(kwargs) > 1 or (kwargs and next(iter(kwargs)) != "aggregation"):
            raise TypeError(f"Unknown keyword arguments: {kwargs.keys()}. Expected `aggregation`.")
        if name is None:
            raise ValueError(
                "Please provide a name for your metric like "
                "`self.add_metric(tf.reduce_sum(inputs), name='mean_activation')`"
            )
        if isinstance(value, KerasTensor):
            raise NotImplementedError(
                "add_metric on a symbolic KerasTensor (a metric added to a functional model "
                "outside any layer's call) is not implemented; call it inside a layer's call()."
            )
        if not isinstance(value, torch.Tensor):
            raise ValueError(f"Expected a symbolic Tensor for the metric value, received: {value}")
        if value.device.type == "meta":
            return  # shape inference, not a real call
        added = self.__dict__.setdefault("_added_metrics", {})
        metric = added.get(name)
        if metric is None:
            dtype = str(value.dtype).replace("torch.", "") if value.is_floating_point() else None
            metric = added[name] = Mean(name=name, dtype=dtype)
        metric.update_state(value.detach())

    def _tracked_metrics(self) -> list:
        """Metric objects held as attributes or added by ``add_metric``, this layer's then its
        sublayers' (as tf.keras 2 collects them for ``model.metrics``)."""
        from kerasish.metrics.base import Metric

        found = [v for v in self.__dict__.values() if isinstance(v, Metric)]
        found.extend(self.__dict__.get("_added_metrics", {}).values())
        for module in self._modules.values():
            if isinstance(module, LayerMetricsMixin):
                found.extend(module._tracked_metrics())
        return found

    @property
    def metrics(self) -> list:
        return self._tracked_metrics()

    @property
    def metrics_variables(self) -> list:
        return [variable for metric in self.metrics for variable in metric.variables]
