"""Kafka through FastStream: broker factory, topic admin, publishing, idempotent consumers, dead letters, outbox."""
