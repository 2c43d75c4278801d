"""Thin harness around a library call: Pillow resize and GaussianBlur of images in 4 threads.

Pillow releases the GIL in its resampling and filter cores. Used by benchmarks/realworld.py (needs Pillow,
installed into the harness's venv); prints a checksum per image so a patched copy can be checked.
"""
from concurrent.futures import ThreadPoolExecutor
import zlib

from PIL import Image, ImageFilter


def work(seed):
    img = Image.effect_noise((1600, 1200), 40 + seed).convert("RGB")
    for _ in range(3):
        img = img.resize((2400, 1800), Image.LANCZOS).filter(ImageFilter.GaussianBlur(3))
        img = img.resize((1600, 1200), Image.BICUBIC)
    return zlib.crc32(img.tobytes())


with ThreadPoolExecutor(max_workers=4) as pool:
    for crc in pool.map(work, range(4)):
        print(crc)
