"""Layer 6: the ``positrix`` command line.  Each command is a thin call into the library."""
