"""Use cases, one function each: the CLI, the API and the web UI all call these.

A service takes plain values, a unit-of-work factory (``storage.unit_of_work.Database``, or a
fake in tests) and the acting user; it opens one unit of work, asks the domain to plan, writes
through the stores, and commits — or changes nothing.
"""
