"""Running crawls on Scrapyd nodes: the project as an egg (``egg.py``) for ``scrapyd-deploy --egg``."""
