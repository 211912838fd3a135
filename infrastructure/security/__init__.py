"""Password hashing and, later, tokens."""
