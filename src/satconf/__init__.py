"""satconf: a terminal run configurator for stable-audio-tools' train.py."""

__version__ = "0.1.0"
