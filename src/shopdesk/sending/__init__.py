"""Delivering the outbox: HTTP posts to hooks, SMTP mail to customers, and the sender task that
runs in the process serving a store's API (one sender per store)."""
