"""Reading lead files: CSV (encoding and delimiter detected) and XLSX, column mapping and row validation."""
