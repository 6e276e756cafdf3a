"""Entry script of the frozen build: the same ``main`` as the ``siting-planner`` console script."""

from planner.cli import main

raise SystemExit(main())
