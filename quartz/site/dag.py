"""Lay out a cascade's stage graph for an inline SVG: columns by depth, rows in config order."""

from __future__ import annotations

NODE_W, NODE_H = 210, 74
GAP_X, GAP_Y = 64, 20
PAD = 12


def layout(graph: dict, stages: list[dict]) -> dict:
    """Positions for every node and a path for every edge; text stays data for the template to escape."""
    by_stage = {s["name"]: s for s in stages}
    rows: dict[int, int] = {}
    nodes = {}
    for node in graph["nodes"]:
        row = rows.get(node["depth"], 0)
        rows[node["depth"]] = row + 1
        x = PAD + node["depth"] * (NODE_W + GAP_X)
        y = PAD + row * (NODE_H + GAP_Y)
        nodes[node["id"]] = {"id": node["id"], "x": x, "y": y, "w": NODE_W, "h": NODE_H,
                             "trigger": node["trigger"], "stage": by_stage.get(node["id"])}
    edges = []
    for parent, child in graph["edges"]:
        a, b = nodes.get(parent), nodes.get(child)
        if not a or not b:
            continue
        x1, y1 = a["x"] + a["w"], a["y"] + a["h"] / 2
        x2, y2 = b["x"], b["y"] + b["h"] / 2
        mid = (x1 + x2) / 2
        edges.append({"d": f"M{x1:.0f},{y1:.0f} C{mid:.0f},{y1:.0f} {mid:.0f},{y2:.0f} {x2 - 6:.0f},{y2:.0f}",
                      "critical": bool(by_stage.get(child, {}).get("on_critical_path")
                                       and (parent not in by_stage or by_stage[parent].get("on_critical_path")))})
    width = PAD * 2 + (max((n["depth"] for n in graph["nodes"]), default=0) + 1) * (NODE_W + GAP_X) - GAP_X
    height = PAD * 2 + max(rows.values(), default=1) * (NODE_H + GAP_Y) - GAP_Y
    return {"nodes": list(nodes.values()), "edges": edges, "width": width, "height": height}
