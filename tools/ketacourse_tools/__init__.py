"""Course-building tools for ketacourse: not part of what learners install.

What learners ``pip install`` is the :mod:`ketacourse` package (models, data, widgets, exercise
checks). This package holds what builds and runs the course around it, installed by ``make``:

- :mod:`ketacourse_tools.assignments`: graded assignments (otter-grader), grading, releases and
  the instructor pack;
- :mod:`ketacourse_tools.student`: student notebooks and the solution-free book;
- :mod:`ketacourse_tools.prose_sources`: the check that every number in the prose has a source;
- :mod:`ketacourse_tools.lab_glossary`: the JupyterLab-only "Key terms" cell of each chapter;
- :mod:`ketacourse_tools.sphinx_bib`, :mod:`ketacourse_tools.sphinx_mathjax`: Sphinx extensions
  for the book.
"""
