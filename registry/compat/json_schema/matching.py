"""Maximum bipartite matching between old and new subschemas of an allOf/anyOf/oneOf.

Confluent only needs the size of a maximum matching of compatible pairs to decide
compatibility. We first pair subschemas with their cheapest partners (fewest
recorded differences, so reordered but unchanged subschemas meet their twins)
and then grow that to a maximum matching with augmenting paths (Kuhn), which
keeps the work at O(V·E) even for very wide unions.
"""

from __future__ import annotations


def best_matching(left: int, right: int, edges: dict[tuple[int, int], int]) -> list[tuple[int, int]]:
    """Pairs (i, j) of a maximum matching, preferring low-cost edges."""
    options: list[list[int]] = [[] for _ in range(left)]
    for (i, j), _cost in sorted(edges.items(), key=lambda item: (item[1], item[0])):
        options[i].append(j)
    owner: list[int | None] = [None] * right  # right vertex -> matched left vertex
    mate: list[int | None] = [None] * left
    # cheapest edges first, greedily
    for (i, j), _cost in sorted(edges.items(), key=lambda item: (item[1], item[0])):
        if mate[i] is None and owner[j] is None:
            mate[i], owner[j] = j, i
    for start in range(left):
        if mate[start] is None:
            _augment(start, options, owner, mate)
    return sorted((i, j) for i, j in enumerate(mate) if j is not None)


def _augment(start: int, options: list[list[int]], owner: list[int | None], mate: list[int | None]) -> bool:
    """Find an augmenting path from `start` (iterative DFS) and flip it."""
    visited: set[int] = set()
    # stack of (left vertex, index of next option to try); came_from[j] = left vertex reaching j
    stack = [(start, 0)]
    came_from: dict[int, int] = {}
    while stack:
        i, k = stack.pop()
        if k >= len(options[i]):
            continue
        stack.append((i, k + 1))
        j = options[i][k]
        if j in visited:
            continue
        visited.add(j)
        came_from[j] = i
        holder = owner[j]
        if holder is None:
            while True:  # flip the path back to `start`
                i = came_from[j]
                previous = mate[i]
                mate[i], owner[j] = j, i
                if i == start:
                    return True
                assert previous is not None
                j = previous
        stack.append((holder, 0))
    return False
