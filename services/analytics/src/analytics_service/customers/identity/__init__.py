"""One customer across sources: identity keys, their resolution into customers, and the admin decisions."""
