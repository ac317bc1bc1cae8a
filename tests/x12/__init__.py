"""Tests of the X12 835 reader (medledger.x12)."""
