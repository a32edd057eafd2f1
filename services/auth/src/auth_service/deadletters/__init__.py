"""Dead letters of every consumer (topic ``deadletter.v1``): list, show, re-drive, discard; audited."""
