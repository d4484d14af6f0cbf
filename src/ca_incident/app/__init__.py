"""Jobs: each runs one whole task a user asks for (build, check, revocation, status, lint,
certs) from plain inputs, and returns a result with ``as_json()``.

The command line, the web dashboard and the Bugzilla client are thin callers of these; the
core modules below compute. This is the only layer that reads incident folders and writes
outputs.
"""
