"""The edges, HTTP and the command line: thin by design, they translate and call a use case."""
