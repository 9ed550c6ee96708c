"""RemoteMonitor: POST each epoch's logs to a server, with the ``requests`` library (as Keras).

Without ``requests`` the callback can still be created; the first epoch end raises Keras'
ImportError. A server that cannot be reached gives a warning, and training goes on.
"""

from __future__ import annotations

import json
import warnings
from typing import Any, Optional

import numpy as np

from kerasish.callbacks.base import Callback

try:
    import requests
except ImportError:
    requests = None


class RemoteMonitor(Callback):
    def __init__(
        self,
        root: str = "http://localhost:9000",
        path: str = "/publish/epoch/end/",
        field: str = "data",
        headers: Optional[dict] = None,
        send_as_json: bool = False,
    ) -> None:
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json

    def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None:
        if requests is None:
            raise ImportError("RemoteMonitor requires the `requests` library.")
        send: dict[str, Any] = {"epoch": epoch}
        for key, value in (logs or {}).items():
            # NumPy scalars and arrays are not JSON types: send their Python value.
            send[key] = value.item() if isinstance(value, (np.ndarray, np.generic)) else value
        try:
            if self.send_as_json:
                requests.post(self.root + self.path, json=send, headers=self.headers)
            else:
                requests.post(
                    self.root + self.path, {self.field: json.dumps(send)}, headers=self.headers
                )
        except requests.exceptions.RequestException:
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}", stacklevel=2)
