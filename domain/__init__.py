"""The heart of the service: entities, their rules and the ports they need.

Nothing here imports a framework or an outer layer; import-linter holds that line.
"""
