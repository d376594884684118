"""Rating prediction (paper 2.3.1, 3.3): baselines, Eq. 1, the Bayesian FM, CV, the method registry."""
