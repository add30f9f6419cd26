"""Example appservices built on the generated package (run them from the repository root)."""
