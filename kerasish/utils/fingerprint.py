"""TensorFlow's string hashes in NumPy: FarmHash ``Fingerprint64``, SipHash-2-4 and
``FingerprintCat64``.

Keras' ``Hashing`` and ``HashedCrossing`` layers run TensorFlow ops whatever the backend
(``tf.strings.to_hash_bucket_fast`` / ``_strong``, ``tf.sparse.cross_hashed``), and the bucket a
value lands in is part of a trained model: an embedding row is only right if the hash is TF's to
the bit. These are those hashes, written from the algorithms' published definitions.

Every function takes many byte strings at once. Strings are grouped by length, and each group
is hashed as one ``(count, length)`` uint8 matrix with uint64 column arithmetic: for a fixed
length, FarmHash and SipHash are straight-line code (their loops run a length-determined number
of times), so a group costs a fixed number of vector operations however many strings it holds.
NumPy's uint64 arithmetic wraps modulo 2**64, which is C's unsigned arithmetic.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

_U64 = np.uint64
# FarmHash's (CityHash's) primes.
_K0 = _U64(0xC3A5C85C97CB3127)
_K1 = _U64(0xB492B66FBE98F273)
_K2 = _U64(0x9AE16A3B2F90404F)
# FingerprintCat64's multiplier (MurmurHash2's).
_K_MUL = _U64(0xC6A4A7935BD1E995)


def _rotate(value: np.ndarray, shift: int) -> np.ndarray:
    """Right rotation of 64-bit words (``shift`` in 1..63)."""
    return (value >> _U64(shift)) | (value << _U64(64 - shift))


def _shift_mix(value: np.ndarray) -> np.ndarray:
    return value ^ (value >> _U64(47))


def _fetch64(rows: np.ndarray, offset: int) -> np.ndarray:
    """The little-endian 64-bit word at byte ``offset`` of every row."""
    return np.ascontiguousarray(rows[:, offset : offset + 8]).view("<u8")[:, 0].astype(_U64)


def _fetch32(rows: np.ndarray, offset: int) -> np.ndarray:
    return np.ascontiguousarray(rows[:, offset : offset + 4]).view("<u4")[:, 0].astype(_U64)


def _hash_len16(u: np.ndarray, v: np.ndarray, mul: np.ndarray) -> np.ndarray:
    a = (u ^ v) * mul
    a ^= a >> _U64(47)
    b = (v ^ a) * mul
    b ^= b >> _U64(47)
    return b * mul


def _weak_hash_len32_with_seeds(
    rows: np.ndarray, offset: int, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    w, x = _fetch64(rows, offset), _fetch64(rows, offset + 8)
    y, z = _fetch64(rows, offset + 16), _fetch64(rows, offset + 24)
    a = a + w
    b = _rotate(b + a + z, 21)
    c = a
    a = a + x + y
    b = b + _rotate(a, 44)
    return a + z, b + c


def _len_0_to_16(rows: np.ndarray, length: int) -> np.ndarray:
    count = rows.shape[0]
    if length >= 8:
        mul = _K2 + _U64(length * 2)
        a = _fetch64(rows, 0) + _K2
        b = _fetch64(rows, length - 8)
        c = _rotate(b, 37) * mul + a
        d = (_rotate(a, 25) + b) * mul
        return _hash_len16(c, d, mul)
    if length >= 4:
        mul = _K2 + _U64(length * 2)
        a = _fetch32(rows, 0)
        return _hash_len16(_U64(length) + (a << _U64(3)), _fetch32(rows, length - 4), mul)
    if length > 0:
        a = rows[:, 0].astype(_U64)
        b = rows[:, length >> 1].astype(_U64)
        c = rows[:, length - 1].astype(_U64)
        y = a + (b << _U64(8))
        z = _U64(length) + (c << _U64(2))
        return _shift_mix(y * _K2 ^ z * _K0) * _K2
    return np.full(count, _K2, dtype=_U64)


def _len_17_to_32(rows: np.ndarray, length: int) -> np.ndarray:
    mul = _K2 + _U64(length * 2)
    a = _fetch64(rows, 0) * _K1
    b = _fetch64(rows, 8)
    c = _fetch64(rows, length - 8) * mul
    d = _fetch64(rows, length - 16) * _K2
    return _hash_len16(
        _rotate(a + b, 43) + _rotate(c, 30) + d, a + _rotate(b + _K2, 18) + c, mul
    )


def _len_33_to_64(rows: np.ndarray, length: int) -> np.ndarray:
    mul = _K2 + _U64(length * 2)
    a = _fetch64(rows, 0) * _K2
    b = _fetch64(rows, 8)
    c = _fetch64(rows, length - 8) * mul
    d = _fetch64(rows, length - 16) * _K2
    y = _rotate(a + b, 43) + _rotate(c, 30) + d
    z = _hash_len16(y, a + _rotate(b + _K2, 18) + c, mul)
    e = _fetch64(rows, 16) * mul
    f = _fetch64(rows, 24)
    g = (y + _fetch64(rows, length - 32)) * mul
    h = (z + _fetch64(rows, length - 24)) * mul
    return _hash_len16(_rotate(e + f, 43) + _rotate(g, 30) + h, e + _rotate(f + a, 18) + g, mul)


def _len_over_64(rows: np.ndarray, length: int) -> np.ndarray:
    """FarmHash ``na``'s 64-byte block loop, then the last 64 bytes (which may overlap)."""
    count = rows.shape[0]
    seed = 81
    zeros = np.zeros(count, dtype=_U64)
    x = np.full(count, seed, dtype=_U64)
    y = np.full(count, (seed * int(_K1) + 113) % 2**64, dtype=_U64)
    z = _shift_mix(y * _K2 + _U64(113)) * _K2
    v0, v1, w0, w1 = zeros, zeros, zeros, zeros
    x = x * _K2 + _fetch64(rows, 0)
    for start in range(0, ((length - 1) // 64) * 64, 64):
        x = _rotate(x + y + v0 + _fetch64(rows, start + 8), 37) * _K1
        y = _rotate(y + v1 + _fetch64(rows, start + 48), 42) * _K1
        x ^= w1
        y = y + v0 + _fetch64(rows, start + 40)
        z = _rotate(z + w0, 33) * _K1
        v0, v1 = _weak_hash_len32_with_seeds(rows, start, v1 * _K1, x + w0)
        w0, w1 = _weak_hash_len32_with_seeds(rows, start + 32, z + w1, y + _fetch64(rows, start + 16))
        z, x = x, z
    mul = _K1 + ((z & _U64(0xFF)) << _U64(1))
    last = length - 64
    w0 = w0 + _U64((length - 1) & 63)
    v0 = v0 + w0
    w0 = w0 + v0
    x = _rotate(x + y + v0 + _fetch64(rows, last + 8), 37) * mul
    y = _rotate(y + v1 + _fetch64(rows, last + 48), 42) * mul
    x ^= w1 * _U64(9)
    y = y + v0 * _U64(9) + _fetch64(rows, last + 40)
    z = _rotate(z + w0, 33) * mul
    v0, v1 = _weak_hash_len32_with_seeds(rows, last, v1 * mul, x + w0)
    w0, w1 = _weak_hash_len32_with_seeds(rows, last + 32, z + w1, y + _fetch64(rows, last + 16))
    z, x = x, z
    return _hash_len16(
        _hash_len16(v0, w0, mul) + _shift_mix(y) * _K0 + z,
        _hash_len16(v1, w1, mul) + x,
        mul,
    )


def _farmhash_rows(rows: np.ndarray, length: int) -> np.ndarray:
    if length <= 16:
        return _len_0_to_16(rows, length)
    if length <= 32:
        return _len_17_to_32(rows, length)
    if length <= 64:
        return _len_33_to_64(rows, length)
    return _len_over_64(rows, length)


def _sip_round(v0, v1, v2, v3):
    v0 = v0 + v1
    v1 = _rotate(v1, 64 - 13) ^ v0
    v0 = _rotate(v0, 64 - 32)
    v2 = v2 + v3
    v3 = _rotate(v3, 64 - 16) ^ v2
    v0 = v0 + v3
    v3 = _rotate(v3, 64 - 21) ^ v0
    v2 = v2 + v1
    v1 = _rotate(v1, 64 - 17) ^ v2
    v2 = _rotate(v2, 64 - 32)
    return v0, v1, v2, v3


def _siphash_rows(rows: np.ndarray, length: int, key: tuple[int, int]) -> np.ndarray:
    """SipHash-2-4 (two rounds per 8-byte word, four to finish) with a 128-bit key."""
    count = rows.shape[0]
    k0, k1 = _U64(key[0]), _U64(key[1])
    v0 = np.full(count, k0 ^ _U64(0x736F6D6570736575), dtype=_U64)
    v1 = np.full(count, k1 ^ _U64(0x646F72616E646F6D), dtype=_U64)
    v2 = np.full(count, k0 ^ _U64(0x6C7967656E657261), dtype=_U64)
    v3 = np.full(count, k1 ^ _U64(0x7465646279746573), dtype=_U64)
    # The last word holds the 0-7 trailing bytes and, in its top byte, the length mod 256.
    tail = np.zeros((count, 8), dtype=np.uint8)
    full = length - length % 8
    tail[:, : length - full] = rows[:, full:]
    tail[:, 7] = length & 0xFF
    words = [_fetch64(rows, offset) for offset in range(0, full, 8)] + [_fetch64(tail, 0)]
    for word in words:
        v3 = v3 ^ word
        v0, v1, v2, v3 = _sip_round(*_sip_round(v0, v1, v2, v3))
        v0 = v0 ^ word
    v2 = v2 ^ _U64(0xFF)
    for _ in range(4):
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3


def _by_length(strings: Sequence[bytes], hash_rows) -> np.ndarray:
    """Apply ``hash_rows(rows, length)`` to each group of equal-length strings."""
    out = np.empty(len(strings), dtype=_U64)
    lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    order = np.argsort(lengths, kind="stable")
    sorted_lengths = lengths[order]
    bounds = np.flatnonzero(np.diff(sorted_lengths)) + 1
    for group in np.split(order, bounds) if len(order) else []:
        length = int(lengths[group[0]])
        data = b"".join(strings[i] for i in group)
        rows = np.frombuffer(data, dtype=np.uint8).reshape(len(group), length)
        out[group] = hash_rows(rows, length)
    return out


def fingerprint64(strings: Sequence[bytes]) -> np.ndarray:
    """FarmHash ``Fingerprint64`` (``farmhashna::Hash64``) of each byte string, as uint64.

    TensorFlow's ``Fingerprint64`` and ``to_hash_bucket_fast``; BigQuery's ``FARM_FINGERPRINT``
    (read as signed).
    """
    return _by_length(list(strings), _farmhash_rows)


def siphash(strings: Sequence[bytes], key: tuple[int, int]) -> np.ndarray:
    """SipHash-2-4 of each byte string under the key words ``(k0, k1)``, as uint64.

    TensorFlow's ``StrongKeyedHash`` (``to_hash_bucket_strong``); the key words are the
    little-endian halves of the reference implementation's 16-byte key.
    """
    key = (int(key[0]) % 2**64, int(key[1]) % 2**64)
    return _by_length(list(strings), lambda rows, length: _siphash_rows(rows, length, key))


def fingerprint_cat64(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """TensorFlow's ``FingerprintCat64``: an order-dependent combination of two fingerprints."""
    first = np.asarray(first, dtype=_U64)
    second = np.asarray(second, dtype=_U64)
    result = first ^ _K_MUL
    result = result ^ (_shift_mix(second * _K_MUL) * _K_MUL)
    result = result * _K_MUL
    result = _shift_mix(result) * _K_MUL
    return _shift_mix(result)
