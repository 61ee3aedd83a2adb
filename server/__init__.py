"""interview-kiosk: live scoring for competitive interviews (竞聘上岗面试)."""

__version__ = "0.1.0"
