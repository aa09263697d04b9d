"""Ingestion domain: landing files -> file registry -> staging -> core model."""
