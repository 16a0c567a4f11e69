"""Claims and warranty: `ClaimWorkflow` (`claim-<claim_id>`), a child of its order or on its
own, and the order's side of its claims (`desk.py`), which pays a claim's refund."""
