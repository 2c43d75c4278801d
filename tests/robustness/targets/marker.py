"""Creates ran.marker in the working folder: proof that the target ran."""

from pathlib import Path

Path("ran.marker").write_text("ran\n")
