"""What a mailed link proves: the owner's address, or their right to a new password."""
