"""Reports and charts: the plot functions shared with the app, and the HTML report.

``plots`` holds plain ``plot_x(ax, data) -> Axes`` functions (matplotlib, no pyplot),
``html`` and ``tables`` build the self-contained report of ``meshsim compare --report``.
"""
