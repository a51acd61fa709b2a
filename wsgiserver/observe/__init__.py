"""What the server tells operators: the error log and the access log."""
