"""TJV Desktop: provider monitoring for patients recovering at home after joint replacement."""

__version__ = "0.1.0"
