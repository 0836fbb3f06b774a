"""Its presence puts tests/ on sys.path (pytest's prepend import mode) before any test folder is
collected, so helpers shared by the folders import as top-level modules."""
