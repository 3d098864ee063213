"""A fake of Listrak's Email REST API v1."""
