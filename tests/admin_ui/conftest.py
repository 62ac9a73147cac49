"""The chromium fixture is the chat example's (apt-installs Debian's chromium when missing)."""

from tests.examples.test_browser import chromium

__all__ = ["chromium"]
