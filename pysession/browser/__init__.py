"""Browser edges."""
