"""Returns: `ReturnWorkflow` (`return-<rma_id>`), a child of its order, and the order's side of
its returns (`desk.py`), which decides and pays every return's refund."""
