"""Pure rules of the ledger: money, columns, balances and the guards of every action.

Nothing in this package touches a database, a web framework or a terminal, so every rule can be
tested with plain values and reused by every front.
"""
