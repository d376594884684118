"""Tables, figures and the report: Table 1, fusion (Figs 7-8), correlation (Table 3), plotting."""
