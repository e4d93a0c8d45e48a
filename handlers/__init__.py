"""FastStream subscribers, one module per worker role: decode, call the domain, publish.

A handler takes what its process set up (the stage, the recorder) from the broker's
context itself, not as a `Context(...)` parameter: FastStream resolves such a parameter
in a worker thread, a thread hop for every message.
"""
