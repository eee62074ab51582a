"""Pure parsing of import files: decoding, CSV reading with line numbers, formats.

Parsers turn text into domain records (:mod:`fangkong.core.reports`,
:mod:`fangkong.core.cases`) and :class:`~fangkong.core.validation.RowIssue` values; they
never touch a database. Storing is the job of ``fangkong.services.imports``.
"""
