"""The explicit routing table: which public prefix goes to which service, with which permission."""
