"""FastStream subscribers, one module per worker role: decode, call the domain, publish."""
