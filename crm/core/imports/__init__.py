"""Imports: reading uploaded CSV and XLSX files (`reader.open_table`: lead imports, markets files) and writing a
batch of new rows in one go (`insert.insert_rows`: lead imports, the email fan-out's outbound log)."""
