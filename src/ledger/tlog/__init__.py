"""The verifiable log: an RFC 9162 Merkle tree over the chain, C2SP signed notes and checkpoints."""
