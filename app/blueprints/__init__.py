"""Blueprints per domain; portal, admin and api are audiences reusing the same services."""
