"""Codebook, rotation, packing and codec: unit tests against numerical optima and theory."""

import mlx.core as mx
import numpy as np
import pytest

from kvcache.codebook import _grid, codebook, quantizer_mse, theoretical_mse
from kvcache.codec import make_codec
from kvcache.packing import pack, packed_width, unpack
from kvcache.rotation import make_rotation

# Lloyd-Max distortion for N(0, 1) at 1..4 bits (Max 1960); the sphere marginal at d=128 is close to N(0, 1/d).
GAUSS_LLOYD_MAX = {1: 0.3634, 2: 0.1175, 3: 0.03454, 4: 0.009497}
THEORY_128 = {2: 0.117, 3: 0.034, 4: 0.0093}


@pytest.mark.parametrize("bits", [1, 2, 3, 4])
def test_codebook_matches_gaussian_lloyd_max_at_large_dim(bits):
    assert theoretical_mse(4096, bits) == pytest.approx(GAUSS_LLOYD_MAX[bits], rel=0.01)


@pytest.mark.parametrize("dim,bits", [(64, 2), (128, 3), (256, 4)])
def test_codebook_is_a_local_optimum(dim, bits):
    x, w = _grid(dim)
    c = codebook(dim, bits)
    base = quantizer_mse(x, w, c)
    rng = np.random.default_rng(0)
    for _ in range(20):
        moved = c + rng.normal(0, 0.02 / np.sqrt(dim), size=c.shape)
        assert quantizer_mse(x, w, moved) >= base * (1 - 1e-9)


def test_codebook_is_symmetric_sorted_and_rejects_bad_bits():
    c = codebook(128, 3)
    assert np.all(np.diff(c) > 0) and np.allclose(c, -c[::-1])
    with pytest.raises(ValueError, match="unsupported bit width"):
        codebook(128, 6)


@pytest.mark.parametrize("dim", [64, 96, 128])
def test_rotation_is_orthogonal_and_invertible(dim):
    rot = make_rotation(dim, seed=3)
    assert rot.kind == ("dense" if dim == 96 else "hadamard")
    r = rot.dense()
    assert np.allclose(r @ r.T, np.eye(dim), atol=1e-5)
    x = mx.random.normal((5, dim))
    assert mx.allclose(rot.inverse(rot.forward(x)), x, atol=1e-5)
    assert not np.allclose(r, np.eye(dim), atol=0.1)


@pytest.mark.parametrize("bits", [1, 2, 3, 4, 5])
def test_pack_unpack_round_trip(bits):
    codes = mx.random.randint(0, 2**bits, (2, 3, 7, 96)).astype(mx.uint8)
    packed = pack(codes, bits)
    assert packed.shape == (2, 3, 7, packed_width(96, bits)) and packed.dtype == mx.uint8
    assert mx.array_equal(unpack(packed, bits, 96), codes)


def test_pack_rejects_odd_dims():
    with pytest.raises(ValueError, match="multiple of 8"):
        pack(mx.zeros((4, 60), dtype=mx.uint8), 4)


@pytest.mark.parametrize("bits", [2, 3, 4])
def test_unit_vector_mse_within_5_percent_of_theory(bits):
    x = mx.random.normal((8000, 128), key=mx.random.key(bits))
    x = x / mx.linalg.norm(x, axis=-1, keepdims=True)
    codec = make_codec(128, bits, seed=1, fit_scale=False)
    mse = float(mx.mean(mx.sum((codec.decode(*codec.encode(x)) - x) ** 2, axis=-1)))
    assert mse == pytest.approx(THEORY_128[bits], rel=0.05)


def test_fitted_scale_does_not_hurt_and_handles_zero_vectors():
    x = mx.concatenate([mx.random.normal((2000, 64)), mx.zeros((1, 64))])
    errs = []
    for fit in (False, True):
        codec = make_codec(64, 3, seed=1, fit_scale=fit)
        r = codec.decode(*codec.encode(x))
        assert not bool(mx.any(mx.isnan(r)))
        errs.append(float(mx.mean(mx.sum((r - x) ** 2, axis=-1))))
    assert errs[1] <= errs[0]


@pytest.mark.parametrize("dim", [64, 96, 256])
@pytest.mark.parametrize("bits", [1, 2, 3, 4, 5])
def test_table_encoding_is_nearest_centroid_and_table_decoding_matches(dim, bits):
    codec = make_codec(dim, bits, seed=0)
    y = mx.random.normal((2000, dim), key=mx.random.key(dim + bits)) * (1.3 / dim**0.5)
    part = codec.parts[0]
    nearest = mx.argmin(mx.abs(y[..., None] - part.centroids), axis=-1).astype(mx.uint8)
    codes = part.tables.encode(y)
    assert mx.array_equal(codes, nearest)
    packed = pack(codes, bits)
    assert mx.array_equal(codec.values(packed), part.centroids[nearest])


@pytest.mark.parametrize("bits", [2.5, 3.25, 4.75])
def test_fractional_widths_mix_two_codebooks(bits):
    codec = make_codec(128, bits, seed=2, fit_scale=False)
    assert codec.width == 128 * bits / 8
    x = mx.random.normal((8000, 128), key=mx.random.key(7))
    x = x / mx.linalg.norm(x, axis=-1, keepdims=True)
    mse = float(mx.mean(mx.sum((codec.decode(*codec.encode(x)) - x) ** 2, axis=-1)))
    lo, frac = int(bits), bits - int(bits)
    expected = frac * theoretical_mse(128, lo + 1) + (1 - frac) * theoretical_mse(128, lo)
    assert mse == pytest.approx(expected, rel=0.05)


@pytest.mark.parametrize("dim", [64, 256])
@pytest.mark.parametrize("bits", [2, 3, 4, 5])
def test_polynomial_levels_are_as_good_as_lloyd_max(dim, bits):
    from kvcache.codebook import poly_coefficients
    from kvcache.lut import level_values

    x, w = _grid(dim)
    levels = level_values(bits, poly_coefficients(dim, bits))
    assert np.all(np.diff(levels) > 0) and np.allclose(levels, -levels[::-1], atol=1e-7)
    lloyd = quantizer_mse(x, w, codebook(dim, bits))
    assert quantizer_mse(x, w, levels) <= 1.01 * lloyd  # (float32 levels may even round a hair better)


def test_decoding_works_in_successive_threads_with_their_own_streams():
    """A compiled function keeps the streams of the thread that traced it: each thread gets its own decoder."""
    import threading

    codec = make_codec(64, 3.75, seed=0)  # 4-bit and 3-bit parts
    packed, _ = codec.encode(mx.random.normal((3, 64)))
    codes = np.array(codec.codes(packed))  # no compiled code runs in this thread
    expect = np.concatenate([np.array(p.centroids)[codes[..., p.start : p.end]] for p in codec.parts], axis=-1)
    results = []

    def work():
        with mx.stream(mx.new_stream(mx.cpu)):
            results.append(np.array(make_codec(64, 3.75, seed=0).values(packed)))

    for _ in range(2):
        t = threading.Thread(target=work)
        t.start()
        t.join()
    assert len(results) == 2 and all(np.array_equal(r, expect) for r in results)
