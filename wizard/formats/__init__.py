"""The wizard's own date formats, over Django's for each language (FORMAT_MODULE_PATH): the
templates name formats (SHORT_DATETIME_FORMAT...), never spell them out."""
