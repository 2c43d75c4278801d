"""gilscope: is it the CPU, the I/O or the GIL? Profiles a script and says what to change."""
__version__ = "0.1.0"
