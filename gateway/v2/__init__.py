"""REST Proxy v2: produce (`/topics/...`) and topic metadata."""
