"""Reading uploaded CSV and XLSX files (lead imports, markets files): `reader.open_table`."""
