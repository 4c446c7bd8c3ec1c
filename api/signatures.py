"""65-byte secp256k1 signatures checked before recovery, so one that cannot recover (all
zeros, r or s out of range, a bad v) is a clear client error and never a server error."""

from __future__ import annotations

from collections.abc import Callable

from eth_keys.exceptions import BadSignature

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def signature_problem(raw: bytes) -> str | None:
    """Why `raw` cannot be a recoverable signature, or None."""
    if len(raw) != 65:
        return f"a signature is 65 bytes, got {len(raw)}"
    r, s, v = int.from_bytes(raw[:32]), int.from_bytes(raw[32:64]), raw[64]
    if not 0 < r < SECP256K1_N:
        return "r is zero or not below the curve order"
    if not 0 < s < SECP256K1_N:
        return "s is zero or not below the curve order"
    if v not in (0, 1, 27, 28):
        return f"v must be 27 or 28 (or 0 or 1), got {v}"
    return None


def recover_with(raw: bytes, recover: Callable[[bytes], str]) -> str:
    """`recover(raw)` once `raw` is well formed; ValueError naming the reason otherwise."""
    problem = signature_problem(raw)
    if problem is not None:
        raise ValueError(problem)
    try:
        return recover(raw)
    except (BadSignature, ValueError, TypeError) as exc:
        raise ValueError(f"the signature does not recover a public key ({exc})") from exc
