"""The embedding network (paper 3.2): model, training, validation, sequence and trailer embeddings."""
