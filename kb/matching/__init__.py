"""The Thai matcher, one component a module (see kb/matching/matcher.py)."""
