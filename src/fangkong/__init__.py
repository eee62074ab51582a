"""Fangkong (防控): epidemic prevention-and-control command platform."""

__version__ = "0.1.0"
