"""Data corrections: normalisation, randoms, dead time, attenuation, scatter, calibration."""
