"""The HTTP front door: an aiohttp application factory and its views."""
