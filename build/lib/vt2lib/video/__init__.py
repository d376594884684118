"""Trailer videos to keyframes (paper 2.3) and the frozen MobileNetV2 feature cache."""
