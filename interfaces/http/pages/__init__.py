"""The two pages a mailed link opens, for a deployment with no front end of its own."""
