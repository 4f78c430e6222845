"""Training: the one-at-a-time Keras path (keras), the batched engine (engine) and what both
share (common)."""
