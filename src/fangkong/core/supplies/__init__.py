"""Medical supplies (pure rules): the stock ledger of lots and movements in base units
(:mod:`.ledger`) and the status of hospital requests derived from line quantities
(:mod:`.requests`)."""
