"""The web UI's routes, one module per screen; each handler parses, calls one service, renders."""
