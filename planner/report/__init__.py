"""The DPO review report: its model, tables, HTML and Typst source (no Qt).

The maps are drawn in planner.app.
"""
