"""The HTTP/1.1 core, sans-IO: bytes in, requests out; responses in, bytes out."""
