"""The app's pages and JSON endpoints, one module per part of the portal."""
