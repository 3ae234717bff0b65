"""Images: which the stack runs, and `stackctl images build`."""
