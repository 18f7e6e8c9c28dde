"""The schema registry: versioned JSON Schema files (the contract) and the code that serves them."""
