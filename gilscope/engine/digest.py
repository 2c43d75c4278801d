"""SHA-256 without hashlib's import: hashlib loads OpenSSL (~7 ms of gilscope's start-up). CPython's built-in
implementation gives the same digest; the standard library's random module takes its sha512 the same way."""

import sys

if sys.version_info >= (3, 12):
    try:
        from _sha2 import sha256
    except ImportError:  # an interpreter built without it, or not CPython
        from hashlib import sha256
else:
    try:
        from _sha256 import sha256  # type: ignore[import-not-found]  # (no stub)
    except ImportError:
        from hashlib import sha256

__all__ = ["sha256"]
