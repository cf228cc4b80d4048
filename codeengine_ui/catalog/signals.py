from django.dispatch import Signal

# A newer released version of a saved function was found (function=, version=): the
# apps built on the catalog react, e.g. suites that run on each new release.
newer_version_released = Signal()
