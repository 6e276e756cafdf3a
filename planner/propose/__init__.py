"""Proposals (SPEC 9): legal camera poses that read the most traffic.

Qt-free and free of file I/O, like :mod:`planner.core`, whose checker it uses for
every legality decision: :mod:`.approaches` turns a street layer into approaches
and their read zones, :mod:`.candidates` builds the candidate poses and the sparse
approach x pose reading matrix, :mod:`.solve` merges identical reading sets and
solves maximal and set covering (lazy greedy, then the exact MILP with HiGHS), and
:mod:`.engine` ties them together for the command line and the app.
"""
