"""Dilifac sandbox: a real sshd on loopback for the account, and Dilifac's processor."""
