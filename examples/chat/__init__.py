"""The demo chat app: the contracts in ``contracts/`` served through ``generated/`` on ``runtime``."""
