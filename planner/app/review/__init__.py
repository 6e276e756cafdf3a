"""The DPO's review: the read-only review window, the report's maps and its PDF/HTML writer."""
