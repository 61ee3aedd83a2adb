"""The secretary's console: templates, static files and translations (no build step)."""
