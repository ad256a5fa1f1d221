"""German: "25.11.2026 14:05"; the long form with seconds, for the audit log."""

DATETIME_FORMAT = "d.m.Y H:i:s"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
SHORT_DATE_FORMAT = "d.m.Y"
TIME_FORMAT = "H:i:s"
