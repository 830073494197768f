"""What the tests and the benchmarks both need, written once: a free port, a server process
(start, wait until ready, stop, kill -9, its workers and CPU time), a throwaway PostgreSQL.
Never shipped: nothing in server/, store/, handlers/, domain/ or conformance/ imports it."""
