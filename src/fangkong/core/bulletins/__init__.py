"""Reading China's official daily epidemic bulletins (NHC, provincial, Wuhan) into figures.

The bulletins of the National Health Commission (国家卫生健康委员会 疫情通报) and of the
provincial and municipal health commissions are prose. :func:`read_bulletin` turns one
into a :class:`~fangkong.core.bulletins.reader.BulletinReading`: the as-of date, the
region, the figures it could read, per-province breakdowns, corrections (核减), and the
sentences it could not interpret. A figure is never guessed: a count the rules do not
place is reported as unread, and conflicting values for one figure are dropped and flagged.
"""

from fangkong.core.bulletins.reader import BulletinReading, read_bulletin

__all__ = ["BulletinReading", "read_bulletin"]
