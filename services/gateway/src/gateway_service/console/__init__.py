"""The web console (console/ in the repository): its built bundle served at `/`."""
