"""Downloader middlewares: the offsite filter that accounts for what it filters, charset repair."""
