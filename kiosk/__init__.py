"""The kiosk: a self-service graduation photo booth for CHSI (学信网) registration photos."""

__version__ = "0.1.0"
