"""Wiring: Connexion, settings, auth, logging and the error table. No business rules here."""
