"""`make bench`: our server against a bare-ASGI ceiling over the same stores, driven by wrk."""
