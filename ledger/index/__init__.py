"""The event indexer: contract events into SQL, reorg-aware."""
