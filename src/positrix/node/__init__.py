"""The DICOM node: receives scans (C-STORE), answers C-ECHO and C-FIND, keeps every instance
once in a managed archive, routes studies to projects and registers them in the facility
database."""
