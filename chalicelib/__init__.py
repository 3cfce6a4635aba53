"""Phone sign-in service: the core, its adapters and its use cases."""
