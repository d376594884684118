"""Data sources and cleaning (paper 3.1): ML20M / ML20M-YT files, the synthetic dataset, YouTube."""
