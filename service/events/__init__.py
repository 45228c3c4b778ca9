"""Webhooks: the event catalogue and outbox writes, signing, the SSRF guard and delivery."""
