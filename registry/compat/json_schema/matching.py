"""Maximum bipartite matching between old and new subschemas of an allOf/anyOf/oneOf.

Confluent only needs the size of a maximum matching of compatible pairs to decide
compatibility. Among the maximum matchings we pick one with the fewest recorded
differences, so reordered but unchanged subschemas pair with their twins and the
reported changes stay minimal.
"""

from __future__ import annotations


def best_matching(left: int, right: int, edges: dict[tuple[int, int], int]) -> list[tuple[int, int]]:
    """Pairs (i, j) of a maximum matching with the least total cost (min-cost max-flow)."""
    source, sink = left + right, left + right + 1
    size = left + right + 2
    # graph as adjacency of edge indices: to, capacity, cost, reverse index
    graph: list[list[list[int]]] = [[] for _ in range(size)]

    def add(a: int, b: int, cost: int) -> None:
        graph[a].append([b, 1, cost, len(graph[b])])
        graph[b].append([a, 0, -cost, len(graph[a]) - 1])

    for i in range(left):
        add(source, i, 0)
    for j in range(right):
        add(left + j, sink, 0)
    for (i, j), cost in sorted(edges.items()):
        add(i, left + j, cost)

    while True:
        dist = [None] * size
        prev: list[tuple[int, int] | None] = [None] * size
        dist[source] = 0
        changed = True
        rounds = 0
        while changed and rounds < size:  # Bellman-Ford: costs may be negative on back edges
            changed = False
            rounds += 1
            for node in range(size):
                if dist[node] is None:
                    continue
                for k, (to, cap, cost, _) in enumerate(graph[node]):
                    if cap > 0 and (dist[to] is None or dist[node] + cost < dist[to]):
                        dist[to] = dist[node] + cost
                        prev[to] = (node, k)
                        changed = True
        if dist[sink] is None:
            break
        node = sink
        while node != source:
            back, k = prev[node]  # type: ignore[misc]
            edge = graph[back][k]
            edge[1] -= 1
            graph[node][edge[3]][1] += 1
            node = back

    pairs = []
    for i in range(left):
        for to, cap, _, _ in graph[i]:
            if left <= to < left + right and cap == 0:
                pairs.append((i, to - left))
    return pairs
