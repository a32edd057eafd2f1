"""The event contract: one envelope, canonical source-neutral payloads, and the topics they travel on."""

from crm_common.events.envelope import EventEnvelope, make_event
from crm_common.events.topics import TOPICS, Topic

__all__ = ["TOPICS", "EventEnvelope", "Topic", "make_event"]
