"""Site-independent normalisation of what pages show: dates, authors, text."""
