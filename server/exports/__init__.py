"""Writers of the official record: CSV here; XLSX and PDF alongside."""
