"""Static files: which requests they answer, safe lookup, caches, the answer itself."""
