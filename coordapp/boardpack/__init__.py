"""The board pack: a year's figures in one workbook and one printable page."""
