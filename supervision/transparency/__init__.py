"""The ledger as a public transparency log: a Merkle tree over the entries (RFC 9162 style,
SM3), signed tree heads at a fixed cadence, inclusion and consistency proofs (docs/ledger.md)."""
