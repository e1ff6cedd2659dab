"""decisionbot: decisions from alerts and meetings, walked through in chat and kept in SQLite."""

__version__ = "0.1.0"
