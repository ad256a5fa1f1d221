"""English as an admin reads logs: ISO dates and a 24-hour clock, not the American "m/d/Y P"."""

DATETIME_FORMAT = "Y-m-d H:i:s"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i:s"
