"""Plain functions that Connexion calls for the document's operations."""
