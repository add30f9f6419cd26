"""Examples: appservices built on the generated package (`echo/`, run from the repository
root) and invalid inputs for the validator (`invalid/`)."""
