"""The demo chat server: rooms, nicknames, typing notices and acks on ``runtime``."""
