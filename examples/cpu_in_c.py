"""JSON encoding and decoding of a large document: the time is in C, but that C code holds the GIL.

The _json accelerator does the work of json.dumps/json.loads in C without ever
releasing the GIL, so although little time is spent in Python bytecode, no other
thread can run meanwhile: a profiler must call this cpu, not native.
Expected: hotspot roundtrip -> cpu; advice multiprocessing.
"""
import json


def make_document(n):
    return [{"id": i, "name": "item-%05d" % i, "tags": ["a", "b", "c"][: i % 4],
             "price": (i * 37 % 1000) / 100, "stock": {"north": i % 7, "south": i % 11}}
            for i in range(n)]


def roundtrip(doc, times):
    for _ in range(times):
        doc = json.loads(json.dumps(doc, sort_keys=True))
    return doc


if __name__ == "__main__":
    doc = roundtrip(make_document(50_000), 7)
    text = json.dumps(doc, sort_keys=True)
    print(len(doc), len(text), sum(d["stock"]["south"] for d in doc))
