"""Tests of the test-server harness in tests/servers (no Django)."""
