from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO_PRESET = ROOT / "policies" / "demo.toml"
HISTORIES = Path(__file__).resolve().parent / "histories"
