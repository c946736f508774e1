"""Exercise checks, one module per chapter. Each module calls :func:`ketacourse.exercises.register`."""
