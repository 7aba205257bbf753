"""Kith's interfaces: the command line and the GraphQL API."""
