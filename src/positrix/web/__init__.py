"""The web application: pages, a JSON API and the PET/CT viewer on the facility database
(``positrix serve``).  Thin: every rule is in :mod:`positrix.facility` and the science
packages."""
