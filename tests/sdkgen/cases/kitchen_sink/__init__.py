"""Contracts exercising every payload type and every generator corner case.

Not a realistic API: each model exists to pin one behaviour in the golden files.
"""
