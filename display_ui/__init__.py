"""The hall display and the signature pad pages: templates, static JS/CSS, English catalog."""
