"""``python -m bench``: the scale benchmark of issue 6 (see bench/scale.py)."""

from bench.scale import main

raise SystemExit(main())
