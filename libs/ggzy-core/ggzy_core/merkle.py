"""Merkle tree hashes, inclusion and consistency proofs of RFC 9162 §2.1, with SM3.

The algorithms are RFC 9162's (Certificate Transparency 2.0) with SM3 (GB/T 32905) in
place of SHA-256: a leaf hashes as SM3(0x00 ‖ data), an interior node as
SM3(0x01 ‖ left ‖ right), the empty tree as SM3(""). The distinct prefixes keep a leaf from
ever passing for a node (second-preimage resistance across levels).

Storage is the caller's: proofs are built from *complete* subtrees only, the node
``(level, index)`` being the root of the perfect subtree over leaves
``[index·2^level, (index+1)·2^level)``. Complete nodes never change once the tree has grown
past them, so a store can write each one exactly once (see :meth:`Frontier.append`), and a
proof for any earlier tree size is assembled from them (RFC 9162's ``MTH(D[k:n])`` of an
incomplete right edge is folded from its complete pieces).

No Django import: the bidder's tool and a regulator's script verify with this module alone.
Hashes are 32-byte ``bytes``; hex only at the JSON edges.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from ggzy_core.gm.sm3 import sm3

HASH_SIZE = 32
# A tree size fits PostgreSQL's bigint; every proof is then at most 64 hashes long.
MAX_TREE_SIZE = (1 << 63) - 1
MAX_PROOF_LENGTH = 64

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"

NodeGetter = Callable[[int, int], bytes]


def _hashlib_sm3() -> Callable[[bytes], bytes] | None:
    # hashlib's one-shot call is several times cheaper than the streaming wrapper, which
    # matters when a million-leaf tree is rebuilt; both are the same OpenSSL SM3.
    try:
        hashlib.new("sm3", b"")
    except ValueError:
        return None

    def digest(data: bytes) -> bytes:
        return hashlib.new("sm3", data).digest()

    return digest


_sm3: Callable[[bytes], bytes] = _hashlib_sm3() or sm3
EMPTY_ROOT: bytes = _sm3(b"")


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SM3(0x00 ‖ d)."""
    return _sm3(LEAF_PREFIX + data)


def node_hash(left: bytes, right: bytes) -> bytes:
    """SM3(0x01 ‖ left ‖ right)."""
    return _sm3(NODE_PREFIX + left + right)


# -- bounds -------------------------------------------------------------------------------


def check_hash(value: object, what: str) -> bytes:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        size = len(value) if isinstance(value, bytes | bytearray) else type(value).__name__
        raise ValueError(f"{what} must be {HASH_SIZE} bytes, got {size}")
    return value


def check_size(size: object, what: str, *, minimum: int = 0) -> int:
    if isinstance(size, bool) or not isinstance(size, int):
        raise ValueError(f"{what} must be an integer, got {type(size).__name__}")
    if not minimum <= size <= MAX_TREE_SIZE:
        raise ValueError(f"{what} must be between {minimum} and {MAX_TREE_SIZE}, got {size}")
    return size


def _check_proof(proof: Sequence[bytes]) -> list[bytes]:
    if len(proof) > MAX_PROOF_LENGTH:
        raise ValueError(f"a proof has at most {MAX_PROOF_LENGTH} hashes, got {len(proof)}")
    return [check_hash(item, f"proof hash #{n}") for n, item in enumerate(proof)]


# -- which complete nodes a proof reads ----------------------------------------------------


def _split(n: int) -> int:
    """k: the largest power of two smaller than n (n > 1), RFC 9162 §2.1.1."""
    return 1 << ((n - 1).bit_length() - 1)


def _range_nodes(start: int, end: int) -> list[tuple[int, int]]:
    """The complete subtrees, largest first, whose fold is MTH(D[start:end]).

    Every range a proof names starts at a multiple of a power of two at least its length,
    so the greedy aligned split is exactly RFC 9162's split at the largest power of two.
    """
    nodes = []
    while start < end:
        level = (end - start).bit_length() - 1
        while start & ((1 << level) - 1):
            level -= 1
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """RFC 9162 §2.1.3.1 PATH(m, D[n]) as leaf ranges, the leaf's sibling first."""
    ranges = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:  # PATH(m, D[0:k]) : MTH(D[k:n])
            ranges.append((start + k, end))
            end = start + k
        else:  # PATH(m - k, D[k:n]) : MTH(D[0:k])
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def _consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """RFC 9162 §2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true) as leaf ranges."""
    ranges = []
    start, end = 0, second
    whole = True  # SUBPROOF's b: is D[start:start+m] a tree the verifier already knows?
    while first != end:
        k = _split(end - start)
        if first <= start + k:  # SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
            ranges.append((start + k, end))
            end = start + k
        else:  # SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
            ranges.append((start, start + k))
            start += k
            whole = False
    if not whole:  # SUBPROOF(m, D[m], false) = {MTH(D[m])}
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def _nodes_of(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return [node for start, end in ranges for node in _range_nodes(start, end)]


def _check_index(index: int, size: int) -> None:
    check_size(size, "tree size", minimum=1)
    check_size(index, "leaf index")
    if index >= size:
        raise ValueError(f"leaf index {index} is outside a tree of {size} leaves")


def _check_pair(first: int, second: int) -> None:
    check_size(first, "first tree size", minimum=1)
    check_size(second, "second tree size", minimum=1)
    if first > second:
        raise ValueError(f"first tree size {first} is larger than second tree size {second}")


def inclusion_nodes(index: int, size: int) -> list[tuple[int, int]]:
    """The complete nodes (level, index) that the inclusion proof of leaf ``index`` reads."""
    _check_index(index, size)
    return _nodes_of(_inclusion_ranges(index, size))


def consistency_nodes(first: int, second: int) -> list[tuple[int, int]]:
    """The complete nodes (level, index) that the consistency proof first → second reads."""
    _check_pair(first, second)
    return _nodes_of(_consistency_ranges(first, second))


def _fold(hashes: list[bytes]) -> bytes:
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def _proof(ranges: list[tuple[int, int]], node: NodeGetter) -> list[bytes]:
    proof = []
    for start, end in ranges:
        hashes = []
        for level, index in _range_nodes(start, end):
            hashes.append(check_hash(node(level, index), f"node ({level}, {index})"))
        proof.append(_fold(hashes))
    return proof


def inclusion_proof(index: int, size: int, node: NodeGetter) -> list[bytes]:
    """RFC 9162 §2.1.3.1: the audit path of leaf ``index`` in the tree of ``size`` leaves."""
    _check_index(index, size)
    return _proof(_inclusion_ranges(index, size), node)


def consistency_proof(first: int, second: int, node: NodeGetter) -> list[bytes]:
    """RFC 9162 §2.1.4.1: proof that the tree of ``first`` leaves is a prefix of ``second``'s.

    Empty when first == second (the roots must then be equal).
    """
    _check_pair(first, second)
    return _proof(_consistency_ranges(first, second), node)


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over leaves that are already leaf-hashed (EMPTY_ROOT for none)."""
    frontier = Frontier()
    for item in leaf_hashes:
        frontier.append(item)
    return frontier.root()


# -- verification --------------------------------------------------------------------------


def verify_inclusion(
    *, leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2. False when the proof does not lead to ``root``.

    Raises ValueError for input that is not a proof at all (a hash of the wrong length,
    more than 64 hashes, a negative or oversized number).
    """
    current = check_hash(leaf_hash, "leaf hash")
    check_hash(root, "root hash")
    check_size(size, "tree size")
    check_size(index, "leaf index")
    path = _check_proof(proof)
    if index >= size:
        return False
    fn, sn = index, size - 1
    for sibling in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            current = node_hash(sibling, current)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            current = node_hash(current, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and current == root


def verify_consistency(
    *, first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2. False when the tree of ``second`` does not extend that of ``first``.

    first == second holds only with an empty proof and equal roots. Raises ValueError for
    input that is not a proof at all (see :func:`verify_inclusion`).
    """
    check_hash(first_root, "first root hash")
    check_hash(second_root, "second root hash")
    _check_pair(first, second)
    path = _check_proof(proof)
    if first == second:
        return not path and first_root == second_root
    if not path:
        return False
    if first & (first - 1) == 0:  # first is an exact power of two
        path = [first_root, *path]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


# -- trees ---------------------------------------------------------------------------------


class Frontier:
    """The right edge of the tree: one complete subtree root per set bit of ``size``.

    O(log n) state is all a writer needs to append leaves and compute the root, so a
    tree head costs O(batch · log n) however large the log is.
    """

    __slots__ = ("_edge", "size")

    def __init__(self) -> None:
        self.size = 0
        self._edge: list[tuple[int, bytes]] = []  # (level, hash), highest level first

    def append(self, leaf_hash: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf; return the complete nodes it completes, (level, index, hash), leaf first."""
        current = check_hash(leaf_hash, "leaf hash")
        if self.size >= MAX_TREE_SIZE:
            raise ValueError(f"the tree is full at {MAX_TREE_SIZE} leaves")
        completed = [(0, self.size, current)]
        self.size += 1
        level = 0
        while self._edge and self._edge[-1][0] == level:
            _, left = self._edge.pop()
            current = node_hash(left, current)
            level += 1
            completed.append((level, (self.size >> level) - 1, current))
        self._edge.append((level, current))
        return completed

    def root(self) -> bytes:
        if not self._edge:
            return EMPTY_ROOT
        return _fold([hash_ for _, hash_ in self._edge])

    def to_json(self) -> dict[str, Any]:
        return {"size": self.size, "edge": [hash_.hex() for _, hash_ in self._edge]}

    @classmethod
    def from_json(cls, data: Any) -> Frontier:
        if not isinstance(data, dict) or not isinstance(data.get("edge"), list):
            raise ValueError("a frontier is an object with 'size' and 'edge'")
        size = check_size(data.get("size"), "frontier size")
        levels = [level for level in range(size.bit_length() - 1, -1, -1) if size >> level & 1]
        if len(data["edge"]) != len(levels):
            raise ValueError(
                f"a frontier of size {size} has {len(levels)} edge hashes, got {len(data['edge'])}"
            )
        frontier = cls()
        frontier.size = size
        for level, text in zip(levels, data["edge"], strict=True):
            frontier._edge.append((level, check_hash(_from_hex(text), "frontier hash")))
        return frontier


def _from_hex(text: object) -> bytes:
    if not isinstance(text, str):
        raise ValueError(f"expected a hex string, got {type(text).__name__}")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise ValueError("expected a hex string") from None


class MemoryTree:
    """Every complete node in memory (32 bytes each, one bytearray per level).

    For tests, benchmarks and offline rebuilds from an export; the server keeps its nodes
    in the database and hands :func:`inclusion_proof` a getter instead.
    """

    __slots__ = ("_frontier", "_levels")

    def __init__(self) -> None:
        self._levels: list[bytearray] = []
        self._frontier = Frontier()

    @property
    def size(self) -> int:
        return self._frontier.size

    def append(self, leaf_hash: bytes) -> None:
        for level, _, hash_ in self._frontier.append(leaf_hash):
            if level == len(self._levels):
                self._levels.append(bytearray())
            self._levels[level] += hash_

    def node(self, level: int, index: int) -> bytes:
        if level < 0 or index < 0 or (index + 1) << level > self.size:
            raise ValueError(f"node ({level}, {index}) is not complete in a tree of {self.size}")
        offset = index * HASH_SIZE
        return bytes(self._levels[level][offset : offset + HASH_SIZE])

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else check_size(size, "tree size")
        if size > self.size:
            raise ValueError(f"tree size {size} is beyond the {self.size} leaves appended")
        if size == 0:
            return EMPTY_ROOT
        return _fold([self.node(level, index) for level, index in _range_nodes(0, size)])

    def _check_within(self, size: int) -> None:
        if isinstance(size, int) and size > self.size:
            raise ValueError(f"tree size {size} is beyond the {self.size} leaves appended")

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        self._check_within(size)
        return inclusion_proof(index, size, self.node)

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        self._check_within(second)
        return consistency_proof(first, second, self.node)
