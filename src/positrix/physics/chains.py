"""Decay chains (generator ingrowth, α-emitter daughters) through ``radioactivedecay``.

``radioactivedecay`` solves the Bateman equations with ICRP-107 data; Positrix does not
write its own.  Half-lives here are therefore ICRP-107 values, which can differ slightly
from the ENSDF values of the nuclide table (see ``positrix/data/README.md``).
"""

from __future__ import annotations

from positrix.errors import UnknownNuclideError
from positrix.physics.nuclides import normalise_nuclide_name

__all__ = ["CHAIN_DATASET", "chain_activities", "generator_ingrowth"]

#: The nuclear dataset used for chains.
CHAIN_DATASET = "ICRP-107 (radioactivedecay)"


def chain_activities(parent: str, activity_bq: float, elapsed_s: float) -> dict[str, float]:
    """Activities (Bq) of a parent and all its progeny after ``elapsed_s`` seconds.

    Parameters
    ----------
    parent
        The parent nuclide, pure at time 0 (``"Ac-225"``, ``"Ge-68"``).
    activity_bq
        Parent activity at time 0 in Bq.
    elapsed_s
        Time elapsed in s (≥ 0).

    Returns
    -------
    dict
        Nuclide name → activity in Bq, stable nuclides included (at 0 Bq).
    """
    import radioactivedecay as rd  # heavy import, kept out of import time

    name = normalise_nuclide_name(parent)
    try:
        inventory = rd.Inventory({name: activity_bq}, "Bq")
    except (ValueError, KeyError):
        raise UnknownNuclideError(
            f"'{parent}' is not in the ICRP-107 decay data",
            field="nuclide",
            fix="give a radioactive nuclide such as Ge-68 or Ac-225",
        ) from None
    decayed = inventory.decay(float(elapsed_s), "s").activities("Bq")
    order = _chain_order(name)
    keys = sorted(decayed, key=lambda k: order.index(k) if k in order else len(order))
    return {str(key): float(decayed[key]) for key in keys}


def _chain_order(parent: str) -> list[str]:
    """Parent first, then daughters breadth-first (the order a chain is read)."""
    import radioactivedecay as rd

    order, queue = [parent], [parent]
    while queue:
        for daughter in rd.Nuclide(queue.pop(0)).progeny():
            if daughter not in order and daughter in rd.DEFAULTDATA.nuclide_dict:
                order.append(daughter)
                queue.append(daughter)
    return order


def generator_ingrowth(
    parent_activity_bq: float,
    since_elution_s: float,
    *,
    parent: str = "Ge-68",
    daughter: str = "Ga-68",
) -> float:
    """Daughter activity (Bq) in a generator ``since_elution_s`` after a complete elution.

    Examples
    --------
    >>> a = generator_ingrowth(1e9, 4 * 3600.0)  # Ge-68/Ga-68, 4 h after elution
    >>> 0.9 < a / 1e9 < 0.95  # 1 - 2**(-240/67.7) ≈ 0.914 of the parent's activity
    True
    """
    activities = chain_activities(parent, parent_activity_bq, since_elution_s)
    return activities[normalise_nuclide_name(daughter)]
