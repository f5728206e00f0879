"""Data access and business rules as plain functions (session passed in), reused by views, CLI and API."""
