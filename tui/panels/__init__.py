"""The TUI's panels, one widget each: its list, its detail and its keys."""
