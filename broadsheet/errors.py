"""The one exception for a user's mistake: bad settings, spider arguments or input files.

``scrapy crawl`` and the project's commands print its message as one line, without a
traceback, and exit 2 (see the README's exit codes). The message names the setting, argument or
file, says what is wrong and what to do.
"""


class BadInput(ValueError):
    """A setting, spider argument or input file that cannot be used; the message says which,
    what is wrong with it and what to do."""
