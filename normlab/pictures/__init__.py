"""Every picture normlab draws: SVG shapes, grids of numbered cells, charts and diagrams, and the one style.

May import the library and normlab.lessons (the numbers it draws), and matplotlib and IPython for figures; never
normlab.widgets, normlab.check or normlab.course (`make lint` checks it). A module here is named after the lesson
module whose results it draws (pictures.running draws lessons.running's traces).
"""
