"""medledger: an append-only patient-accounts ledger for medical practices."""
