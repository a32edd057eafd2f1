"""Real-time notifications: alerts and sync failures from Kafka, pushed to users over Server-Sent Events."""
