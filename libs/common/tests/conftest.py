from __future__ import annotations

import os

from crm_testing import unique_topic_prefix

os.environ.setdefault("KAFKA_TOPIC_PREFIX", unique_topic_prefix())
