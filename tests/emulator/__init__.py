"""The PingOne emulator's own tests, over HTTP against a real process."""
