"""The smallest useful contract: one namespace, one acked client event, auth."""
