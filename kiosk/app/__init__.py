"""The booth assembled: wiring from config, the typed runtime, the live preview, self-test and readiness."""
