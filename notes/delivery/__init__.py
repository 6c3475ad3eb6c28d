"""Delivering pages to readers: the site state, the page cache and conditional GET, the
security and locale middleware, the Redis cache backend and what happens when a service is
down."""
