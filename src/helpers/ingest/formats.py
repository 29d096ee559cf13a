"""Adapters for survey tools, review sites, CRM exports and interview/observation coding sheets."""
