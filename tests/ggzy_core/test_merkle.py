"""ggzy_core.merkle against an independent, naive RFC 9162 Merkle tree written here with
hashlib's SM3 directly (so a swapped leaf/node prefix or a wrong split would show)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ggzy_core import merkle

MAX_LEAVES = 70


def naive_sm3(data: bytes) -> bytes:
    return hashlib.new("sm3", data).digest()


def naive_mth(items: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 MTH over raw leaf data, recursively."""
    n = len(items)
    if n == 0:
        return naive_sm3(b"")
    if n == 1:
        return naive_sm3(b"\x00" + items[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return naive_sm3(b"\x01" + naive_mth(items[:k]) + naive_mth(items[k:]))


def leaves(n: int) -> list[bytes]:
    return [f"entry {i}".encode() for i in range(n)]


def tree_of(n: int) -> merkle.MemoryTree:
    tree = merkle.MemoryTree()
    for item in leaves(n):
        tree.append(merkle.leaf_hash(item))
    return tree


BIG = tree_of(MAX_LEAVES)


def flip(proof: list[bytes], position: int, bit: int) -> list[bytes]:
    changed = bytearray(proof[position])
    changed[bit // 8] ^= 1 << (bit % 8)
    return [*proof[:position], bytes(changed), *proof[position + 1 :]]


def recording(tree: merkle.MemoryTree) -> tuple[list[tuple[int, int]], Callable[[int, int], bytes]]:
    read: list[tuple[int, int]] = []

    def node(level: int, index: int) -> bytes:
        read.append((level, index))
        return tree.node(level, index)

    return read, node


# -- known answers --------------------------------------------------------------------------


def test_the_hashes_use_sm3_with_the_rfc_9162_prefixes() -> None:
    assert naive_sm3(b"") == merkle.EMPTY_ROOT
    assert merkle.leaf_hash(b"abc") == naive_sm3(b"\x00abc")
    left, right = b"L" * 32, b"R" * 32
    assert merkle.node_hash(left, right) == naive_sm3(b"\x01" + left + right)
    assert merkle.leaf_hash(b"abc") != merkle.node_hash(b"ab", b"c")


def test_fixed_trees_have_the_known_roots() -> None:
    # Pinned so that the library and the naive tree cannot drift together.
    assert naive_mth(leaves(1)).hex() == merkle.root_of([merkle.leaf_hash(b"entry 0")]).hex()
    assert merkle.root_of([]) == naive_sm3(b"")
    assert merkle.root_of([merkle.leaf_hash(x) for x in leaves(7)]).hex() == (KNOWN_ROOT_OF_7)
    assert naive_mth(leaves(7)).hex() == KNOWN_ROOT_OF_7


KNOWN_ROOT_OF_7 = "bb05fffd183b4d5067f7d025090f7bd52791e022abca515dbcccea7da469b5dd"


def test_the_root_matches_the_naive_tree_at_every_size() -> None:
    data = leaves(MAX_LEAVES)
    for size in range(MAX_LEAVES + 1):
        assert BIG.root(size) == naive_mth(data[:size]), size
        assert merkle.root_of([merkle.leaf_hash(x) for x in data[:size]]) == naive_mth(data[:size])


def test_the_frontier_root_equals_the_memory_tree_root_at_every_size() -> None:
    frontier = merkle.Frontier()
    assert frontier.root() == BIG.root(0)
    for n, item in enumerate(leaves(MAX_LEAVES), start=1):
        completed = frontier.append(merkle.leaf_hash(item))
        assert frontier.size == n
        assert frontier.root() == BIG.root(n)
        assert completed[0][:2] == (0, n - 1)
        for level, index, hash_ in completed:
            assert BIG.node(level, index) == hash_
            assert (index + 1) << level == n  # the node ends exactly at the new leaf


def test_a_frontier_survives_json() -> None:
    frontier = merkle.Frontier()
    for item in leaves(13):
        frontier.append(merkle.leaf_hash(item))
    again = merkle.Frontier.from_json(frontier.to_json())
    assert again.size == 13 and again.root() == frontier.root()
    again.append(merkle.leaf_hash(b"entry 13"))
    assert again.root() == BIG.root(14)


def test_a_frontier_refuses_json_of_the_wrong_shape() -> None:
    with pytest.raises(ValueError, match="edge hashes"):
        merkle.Frontier.from_json({"size": 3, "edge": ["00" * 32]})
    with pytest.raises(ValueError, match="32 bytes"):
        merkle.Frontier.from_json({"size": 1, "edge": ["00" * 31]})
    with pytest.raises(ValueError):
        merkle.Frontier.from_json({"size": -1, "edge": []})


# -- every proof of every small tree verifies ----------------------------------------------


def test_every_inclusion_proof_up_to_70_leaves_verifies() -> None:
    data = leaves(MAX_LEAVES)
    for size in range(1, MAX_LEAVES + 1):
        root = naive_mth(data[:size])
        for index in range(size):
            proof = BIG.inclusion_proof(index, size)
            leaf = naive_sm3(b"\x00" + data[index])
            assert merkle.verify_inclusion(
                leaf_hash=leaf, index=index, size=size, proof=proof, root=root
            ), (index, size)


def test_every_consistency_proof_up_to_70_leaves_verifies() -> None:
    data = leaves(MAX_LEAVES)
    roots = [naive_mth(data[:size]) for size in range(MAX_LEAVES + 1)]
    for second in range(1, MAX_LEAVES + 1):
        for first in range(1, second + 1):
            proof = BIG.consistency_proof(first, second)
            assert merkle.verify_consistency(
                first=first,
                second=second,
                first_root=roots[first],
                second_root=roots[second],
                proof=proof,
            ), (first, second)
            assert (proof == []) == (first == second)


def test_proofs_read_exactly_the_nodes_their_node_lists_name() -> None:
    for size in range(1, MAX_LEAVES + 1):
        for index in range(size):
            read, node = recording(BIG)
            merkle.inclusion_proof(index, size, node)
            assert read == merkle.inclusion_nodes(index, size)
        for first in range(1, size + 1):
            read, node = recording(BIG)
            merkle.consistency_proof(first, size, node)
            assert read == merkle.consistency_nodes(first, size)


def test_the_rfc_9162_examples_have_the_rfc_shapes() -> None:
    # RFC 9162 §2.1.5: the 7-leaf tree; PATH(0) = [b, h, l], PROOF(3, 7) = [c, d, g, l].
    tree = tree_of(7)
    b, c, d = tree.node(0, 1), tree.node(0, 2), tree.node(0, 3)
    g, h = tree.node(1, 0), tree.node(1, 1)
    i = tree.node(1, 2)
    j = tree.node(0, 6)
    l_ = merkle.node_hash(i, j)
    assert tree.inclusion_proof(0, 7) == [b, h, l_]
    assert tree.inclusion_proof(6, 7) == [i, merkle.node_hash(g, h)]
    assert tree.consistency_proof(3, 7) == [c, d, g, l_]
    assert tree.consistency_proof(4, 7) == [l_]
    assert tree.consistency_proof(6, 7) == [i, j, merkle.node_hash(g, h)]


# -- anything changed fails ----------------------------------------------------------------

sizes = st.integers(min_value=1, max_value=MAX_LEAVES)


@settings(max_examples=150, deadline=None)
@given(size=sizes, data=st.data())
def test_an_inclusion_proof_with_anything_changed_fails(size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, size - 1))
    leaf = merkle.leaf_hash(leaves(size)[index])
    root = BIG.root(size)
    proof = BIG.inclusion_proof(index, size)

    def holds(**changed: object) -> bool:
        args: dict = {"leaf_hash": leaf, "index": index, "size": size, "proof": proof, "root": root}
        args.update(changed)
        return merkle.verify_inclusion(**args)

    assert holds()
    if proof:
        position = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 255))
        assert not holds(proof=flip(proof, position, bit))
        assert not holds(proof=proof[:-1])
        assert not holds(proof=proof[1:])
    assert not holds(proof=[*proof, root])
    assert not holds(leaf_hash=flip([leaf], 0, data.draw(st.integers(0, 255)))[0])
    other_index = data.draw(st.integers(0, size).filter(lambda n: n != index))
    assert not holds(index=other_index)
    # A size is only ever checked with its own signed root (the pair comes from one head).
    other_size = data.draw(st.integers(index + 1, MAX_LEAVES).filter(lambda n: n != size))
    if other_size != size:
        assert not holds(size=other_size, root=BIG.root(other_size))
    assert not holds(root=flip([root], 0, data.draw(st.integers(0, 255)))[0])


@settings(max_examples=150, deadline=None)
@given(second=sizes, data=st.data())
def test_a_consistency_proof_with_anything_changed_fails(second: int, data: st.DataObject) -> None:
    first = data.draw(st.integers(1, second))
    proof = BIG.consistency_proof(first, second)
    first_root, second_root = BIG.root(first), BIG.root(second)

    def holds(**changed: object) -> bool:
        args: dict = {
            "first": first,
            "second": second,
            "first_root": first_root,
            "second_root": second_root,
            "proof": proof,
        }
        args.update(changed)
        return merkle.verify_consistency(**args)

    assert holds()
    if proof:
        position = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 255))
        assert not holds(proof=flip(proof, position, bit))
        assert not holds(proof=proof[:-1])
        assert not holds(proof=proof[1:])
    assert not holds(proof=[*proof, first_root])
    assert not holds(first_root=flip([first_root], 0, data.draw(st.integers(0, 255)))[0])
    assert not holds(second_root=flip([second_root], 0, data.draw(st.integers(0, 255)))[0])
    # Sizes are only ever checked with their own signed roots (each pair is one head).
    other_first = data.draw(st.integers(1, second))
    if other_first != first:
        assert not holds(first=other_first, first_root=BIG.root(other_first))
    other_second = data.draw(st.integers(first, MAX_LEAVES))
    if other_second != second:
        assert not holds(second=other_second, second_root=BIG.root(other_second))


def test_a_forked_tree_is_not_consistent_with_the_original() -> None:
    forked = merkle.MemoryTree()
    for n, item in enumerate(leaves(20)):
        forked.append(merkle.leaf_hash(b"rewritten" if n == 5 else item))
    for first in range(6, 21):
        assert not merkle.verify_consistency(
            first=first,
            second=20,
            first_root=BIG.root(first),
            second_root=forked.root(20),
            proof=forked.consistency_proof(first, 20),
        )
    # Before the rewritten leaf the two trees agree, so consistency holds there.
    assert merkle.verify_consistency(
        first=5,
        second=20,
        first_root=BIG.root(5),
        second_root=forked.root(20),
        proof=forked.consistency_proof(5, 20),
    )


# -- bounds --------------------------------------------------------------------------------


def test_it_refuses_sizes_and_indices_out_of_range() -> None:
    with pytest.raises(ValueError, match="outside a tree of 3"):
        merkle.inclusion_nodes(3, 3)
    with pytest.raises(ValueError, match="between 1"):
        merkle.inclusion_nodes(0, 0)
    with pytest.raises(ValueError, match="larger than"):
        merkle.consistency_nodes(4, 3)
    with pytest.raises(ValueError, match="between 1"):
        merkle.consistency_nodes(0, 3)
    with pytest.raises(ValueError, match="between 0"):
        merkle.inclusion_nodes(-1, 3)
    with pytest.raises(ValueError, match="between 1"):
        merkle.inclusion_nodes(0, 1 << 63)
    with pytest.raises(ValueError, match="beyond the 70 leaves"):
        BIG.inclusion_proof(0, 71)
    with pytest.raises(ValueError, match="not complete"):
        BIG.node(3, 8)


def test_a_verifier_refuses_input_that_is_not_a_proof() -> None:
    leaf, root = merkle.leaf_hash(b"x"), BIG.root()
    with pytest.raises(ValueError, match="at most 64"):
        merkle.verify_inclusion(leaf_hash=leaf, index=0, size=2, proof=[leaf] * 65, root=root)
    with pytest.raises(ValueError, match="32 bytes"):
        merkle.verify_inclusion(leaf_hash=leaf[:31], index=0, size=1, proof=[], root=root)
    with pytest.raises(ValueError, match="proof hash #0 must be 32 bytes"):
        merkle.verify_consistency(
            first=1, second=2, first_root=root, second_root=root, proof=[b"short"]
        )
    with pytest.raises(ValueError, match="an integer"):
        merkle.verify_inclusion(leaf_hash=leaf, index=True, size=2, proof=[], root=root)
    with pytest.raises(ValueError, match="32 bytes"):
        merkle.Frontier().append(b"")


def test_a_leaf_outside_the_tree_does_not_verify() -> None:
    leaf = merkle.leaf_hash(b"x")
    assert not merkle.verify_inclusion(leaf_hash=leaf, index=0, size=0, proof=[], root=leaf)
    assert not merkle.verify_inclusion(leaf_hash=leaf, index=1, size=1, proof=[], root=leaf)
    assert merkle.verify_inclusion(leaf_hash=leaf, index=0, size=1, proof=[], root=leaf)


def test_equal_sizes_are_consistent_only_with_an_empty_proof_and_equal_roots() -> None:
    root = BIG.root(9)
    assert merkle.verify_consistency(first=9, second=9, first_root=root, second_root=root, proof=[])
    assert not merkle.verify_consistency(
        first=9, second=9, first_root=root, second_root=BIG.root(8), proof=[]
    )
    assert not merkle.verify_consistency(
        first=9, second=9, first_root=root, second_root=root, proof=[root]
    )
    assert not merkle.verify_consistency(
        first=8, second=9, first_root=BIG.root(8), second_root=root, proof=[]
    )
