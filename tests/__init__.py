import os

# Every process the suite starts is a test one; unset, the settings fail closed (production).
os.environ.setdefault("ORDERFLOW_ENVIRONMENT", "test")
