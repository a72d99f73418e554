"""REST Proxy v3: clusters, and produce as a stream of records or a batch."""
