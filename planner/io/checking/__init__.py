"""What a check or a review is judged by: the layers loaded and the checker built,
provenance against the plan's claims, the reviewer's re-check and signatures."""
