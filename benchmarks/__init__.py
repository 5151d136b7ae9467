"""`make bench`: how fast normlab teaches — scratch vs torch kernels, widget redraws, notebook suite, import."""
