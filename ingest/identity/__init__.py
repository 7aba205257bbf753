"""Identity resolution's pure building blocks: addresses, people's names and organisations.

No database here: ``ingest.resolve`` combines these with the store.
"""
