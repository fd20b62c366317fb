"""The French pages of the web application."""
