"""The process model: the master process and its worker processes."""
