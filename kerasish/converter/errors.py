"""The one error type the converter raises for bad input, so the CLI can print it plainly."""


class ConversionError(ValueError):
    """A file, key, layer or shape the converter cannot use; the message names which."""
