"""The example contracts: a chat API with rooms, messages, typing, presence and moderation.

`sdkgen build contracts/` turns these modules into `generated/`.
"""
