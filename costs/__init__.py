"""Price catalogs (data) and the arithmetic that reads them."""
