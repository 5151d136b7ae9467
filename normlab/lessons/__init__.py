"""The lessons' computations: the data, experiments and tables the notebooks run, one topic per module.

May import the library (normlab's top-level modules), torch, d2l and scikit-learn; never normlab.pictures,
normlab.widgets, normlab.check or normlab.course (`make lint` checks it). Import a module by name, e.g.
`from normlab.lessons import running`.
"""
