"""Recorded traffic: the VCR cassette download handler, HAR import and secret scrubbing."""
