"""ce: the Code Engine Console command-line client."""
