"""Use cases, one function each: the CLI, the API and the web UI all call these.

A service takes plain values, an engine and the acting user; it opens one unit of work, asks the
domain to plan, writes through the stores, and commits — or changes nothing.
"""
