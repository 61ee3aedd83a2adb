"""The judge's phone page: templates, static JS/CSS and the English catalog (no build step)."""
