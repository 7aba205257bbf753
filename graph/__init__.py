"""Kith's graph: the model, the stores, and the logic that ranks relationships above them."""
