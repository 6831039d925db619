"""One module per resource family of the emulated platform: its tables, its rules, its routes."""
