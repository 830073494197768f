"""The rename domain: sessions, names, errors and response bodies. No HTTP, no SQL."""
