"""The course itself: the notebooks' first-cell setup and printing helpers, the course map, the `normlab` command.

May import the library, normlab.lessons and normlab.pictures; nothing in normlab imports it (`make lint` checks it).
"""
