"""Prints a line, then fails with an uncaught exception from a nested call."""


def inner():
    raise ValueError("boom from the target")


print("target started", flush=True)
inner()
