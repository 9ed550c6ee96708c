"""Which Keras 3 operation class stands for each kerasish op in a ``.keras`` file.

Keras 3 records ``ops.mean(x, axis=1)`` on symbolic tensors as an instance of its operation
class ``keras.src.ops.numpy.Mean``. The op's leading parameters (the tensors, ``x``) are what
that class' ``call`` takes, so they are the node's arguments; the others (``axis``,
``keepdims``) are its constructor's, so they are the operation's config. Reading and writing
``.keras`` files both need that split and the class' name and module, which this table gives.
Ops missing here have no Keras 3 operation class (or kerasish does not know it), and saving a
model that uses one in Keras 3's format is refused by name.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

from kerasish.ops import dispatch


class Keras3Operation(NamedTuple):
    op: str  # the keras.ops name
    module: str  # as a config's "module" says it
    class_name: str
    call_parameters: Optional[tuple]  # names the call takes, when not the leading ones
    leading: int  # how many leading parameters the call takes otherwise


# module -> {number of leading parameters that the operation's call takes: ops}
_LEADING = {
    "numpy": {
        1: """absolute all amax amin angle any arccos arccosh arcsin arcsinh arctan arctanh argmax
            argmin argsort array_split bincount bitwise_invert bitwise_not broadcast_to cbrt ceil
            clip concatenate conjugate copy corrcoef cos cosh count_nonzero cumprod cumsum deg2rad
            diag diagflat diagonal diff dsplit dstack empty_like exp exp2 expand_dims expm1 fabs
            flip fliplr flipud floor histogram hsplit hstack i0 imag isfinite isinf isnan isneginf
            isposinf isreal log log10 log1p log2 logical_not max mean median meshgrid min moveaxis
            nan_to_num nanargmax nanargmin nancumprod nancumsum nanmax nanmean nanmedian nanmin
            nanprod nanstd nansum nanvar negative nonzero ones_like prod ptp rad2deg ravel real
            reciprocal repeat reshape roll rot90 round sign signbit sin sinc sinh slogdet sort split
            sqrt square squeeze stack std sum swapaxes tan tanh tile trace transpose trapezoid tril
            triu trunc unravel_index vander var view vsplit vstack zeros_like argpartition unique""",
        2: """add allclose append arctan2 bitwise_and bitwise_left_shift bitwise_or
            bitwise_right_shift bitwise_xor correlate cross digitize divide divide_no_nan dot equal
            floor_divide fmax fmin fmod full_like gcd get_item greater greater_equal heaviside hypot
            inner isin kron lcm ldexp left_shift less less_equal logaddexp logaddexp2 logical_and
            logical_or logical_xor matmul maximum minimum mod multiply nanpercentile nanquantile
            nextafter not_equal outer percentile power quantile right_shift searchsorted subtract
            take take_along_axis tensordot true_divide vdot""",
        3: "select where",
        4: "isclose",
    },
    "nn": {
        1: """adaptive_average_pool adaptive_max_pool average_pool celu depth_to_space elu gelu glu
            hard_shrink hard_sigmoid hard_silu hard_tanh leaky_relu log_sigmoid log_softmax
            max_pool moments multi_hot normalize one_hot relu relu6 selu sigmoid silu soft_shrink
            softmax softplus softsign space_to_depth sparse_plus sparse_sigmoid sparsemax squareplus
            tanh_shrink threshold unfold fold""",
        2: """binary_crossentropy categorical_crossentropy conv conv_transpose depthwise_conv polar
            psnr rms_normalization sparse_categorical_crossentropy ctc_decode""",
        3: "layer_normalization separable_conv",
        4: "ctc_loss",
        6: "dot_product_attention",
    },
    "core": {
        1: "cast convert_to_tensor saturate_cast stop_gradient unstack",
        2: "scatter slice",
        3: "scatter_update slice_update",
    },
    "math": {
        1: """erf erfc erfinv extract_sequences fft fft2 ifft2 irfft logdet logsumexp rfft rsqrt
            top_k view_as_complex view_as_real stft istft""",
        2: "in_top_k segment_max segment_min segment_prod segment_sum cdist",
    },
    "linalg": {
        1: "cholesky cholesky_inverse det eig eigh inv lu_factor matrix_rank norm pinv qr svd",
        2: "lstsq solve solve_triangular",
    },
    "image": {
        1: """crop_images extract_patches gaussian_blur hsv_to_rgb pad_images resize
            rgb_to_grayscale rgb_to_hsv sobel_edges elastic_transform""",
        2: "affine_transform map_coordinates ssim",
        3: "perspective_transform",
        4: "scale_and_translate",
    },
}

# Operations whose call takes other parameters than the op's leading ones.
_CALL_PARAMETERS = {
    "average": ("numpy", ("x", "weights")),
    "pad": ("numpy", ("x", "constant_values")),
    "einsum": ("numpy", ("operands",)),
    "batch_normalization": ("nn", ("x", "mean", "variance", "offset", "scale")),
    "rearrange": ("einops", ("tensor", "pattern")),
}

# Class names that are not the op's name in CamelCase.
_CLASS_NAMES = {
    "allclose": "AllClose",
    "isin": "IsIn",
    "searchsorted": "SearchSorted",
    "batch_normalization": "BatchNorm",
    "layer_normalization": "LayerNorm",
    "rms_normalization": "RMSNorm",
    "psnr": "PSNR",
    "fft": "FFT",
    "fft2": "FFT2",
    "ifft2": "IFFT2",
    "rfft": "RFFT",
    "irfft": "IRFFT",
    "svd": "SVD",
    "cdist": "CDist",
    "stft": "STFT",
    "istft": "ISTFT",
    "ctc_decode": "CTCDecode",
    "ctc_loss": "CTCLoss",
    "ssim": "SSIM",
    "hsv_to_rgb": "HSVToRGB",
    "rgb_to_hsv": "RGBToHSV",
    "rgb_to_grayscale": "RGBToGrayscale",
}

# kerasish ops that are Keras 3 aliases of another op (which names the operation).
_ALIASES = {"abs": "absolute", "conj": "conjugate", "hard_swish": "hard_silu", "swish": "silu"}

# The tf.keras symbols kerasish records for Python operators on KerasTensors (``x * y`` is
# ``math.multiply``) and the Keras 3 op that the same operator records there.
_OPERATORS = {
    "__operators__.add": "add",
    "math.add": "add",
    "math.subtract": "subtract",
    "math.multiply": "multiply",
    "math.truediv": "true_divide",
    "math.divide": "true_divide",
    "math.floordiv": "floor_divide",
    "math.floormod": "mod",
    "math.pow": "power",
    "linalg.matmul": "matmul",
    "math.negative": "negative",
    "math.abs": "absolute",
    "math.less": "less",
    "math.less_equal": "less_equal",
    "math.greater": "greater",
    "math.greater_equal": "greater_equal",
    "math.not_equal": "not_equal",
    "math.logical_and": "logical_and",
    "math.logical_or": "logical_or",
    "math.logical_xor": "logical_xor",
    "math.logical_not": "logical_not",
    "__operators__.getitem": "get_item",
}
OPERATOR_SYMBOLS = frozenset(_OPERATORS)


def _camel(op: str) -> str:
    return "".join(part.capitalize() for part in op.split("_"))


def _build() -> dict[str, Keras3Operation]:
    table = {}
    for module, groups in _LEADING.items():
        for leading, ops in groups.items():
            for op in ops.split():
                table[op] = Keras3Operation(
                    op, f"keras.src.ops.{module}", _CLASS_NAMES.get(op, _camel(op)), None, leading
                )
    for op, (module, names) in _CALL_PARAMETERS.items():
        table[op] = Keras3Operation(op, f"keras.src.ops.{module}", _CLASS_NAMES.get(op, _camel(op)), names, 0)
    return table


_TABLE = _build()
_BY_CLASS = {(entry.module.rsplit(".", 1)[-1], entry.class_name): entry for entry in _TABLE.values()}


def _kerasish_symbol(entry: Keras3Operation) -> str:
    if entry.op == "get_item":
        return "__operators__.getitem"
    namespace = "image." if entry.module.endswith(".image") else ""
    return dispatch.KERAS_PREFIX + namespace + entry.op


def operation_for_symbol(symbol: str) -> Optional[Keras3Operation]:
    """The Keras 3 operation recording the kerasish op ``symbol``, or None if there is none."""
    if symbol in _OPERATORS:
        return _TABLE[_OPERATORS[symbol]]
    if not symbol.startswith(dispatch.KERAS_PREFIX):
        return None
    op = symbol[len(dispatch.KERAS_PREFIX):]
    if op.startswith("image."):
        entry = _TABLE.get(op[len("image."):])
        return entry if entry is not None and entry.module.endswith(".image") else None
    entry = _TABLE.get(_ALIASES.get(op, op))
    return None if entry is None or entry.module.endswith(".image") else entry


def symbol_for_class(class_name: str, module: Optional[str]) -> Optional[str]:
    """The kerasish op symbol of a Keras 3 operation config (``module`` may be missing, as in
    Keras 3's legacy ``.h5`` files)."""
    kind = (module or "").rsplit(".", 1)[-1]
    entry = _BY_CLASS.get((kind, class_name))
    if entry is None and not module:
        entry = next((e for (_, name), e in _BY_CLASS.items() if name == class_name), None)
    return None if entry is None else _kerasish_symbol(entry)
