"""schemathesis hooks for .ci/fuzz.

A client sends a new Idempotency-Key with each new request and the same one only to retry the
same request; the fuzzer would otherwise send one generated key (often "0") with many different
bodies, which the API rightly refuses (422 idempotency_key_reused, tested in the suite). Valid
keys are therefore made unique per request; invalid ones (negative data) are left as generated.
"""

import uuid

import schemathesis


@schemathesis.hook
def map_headers(context, headers):
    key = (headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and len(key) <= 255:
        headers["Idempotency-Key"] = f"fuzz-{uuid.uuid4()}"
    return headers
