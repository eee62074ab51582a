"""Optimal allocation of medical supplies from depots to hospitals (pure).

* :mod:`.problem` — the instance: depots, hospitals, items, periods, stock, needs,
  priorities and transport costs (great-circle distance by default);
* :mod:`.solve` — the lexicographic optimisation with HiGHS (``scipy.optimize.milp``):
  maximise the minimum priority-weighted fill rate, then the priority-weighted quantity
  delivered, then minimise transport cost, in whole packs;
* :mod:`.greedy` — the nearest-depot baseline a dispatcher would do by hand;
* :mod:`.explain` — each hospital's allocation in plain words (Chinese and English).
"""
