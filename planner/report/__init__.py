"""The DPO review report: its model and HTML (no Qt; the PDF and maps are in planner.app)."""
