"""``lzgis``: the command line of liuzhou-gis.

Every verb that writes files:

* writes where ``-o`` says, and refuses to replace an existing file unless
  ``--overwrite`` is given (checked before any input is read);
* writes all or nothing: outputs are written under hidden names
  (``.lzgis-tmp-*``) and published together with the run's manifest entry, so
  a failure (disk full, read-only folder, a bad value, Ctrl-C, even ``kill
  -9``) leaves the previous files as they were; a second run creating the same
  output meanwhile gets a clear error; leftovers of killed runs are removed by
  the next run into that folder;
* appends a record of the run (inputs with SHA-256 and CRS, parameters,
  outputs with SHA-256, package versions, UTC time) to ``manifest.json`` in
  the output folder, under a lock, paths relative to that folder
  (``--absolute-paths`` for absolute ones) (:mod:`gis.manifest`);
* CSV outputs neutralise text cells a spreadsheet would run as a formula
  (leading ``=``, ``+``, ``-``, ``@``, tab, CR, also after leading blanks and in
  their full-width forms, get a ``'``: :func:`gis._cells.formula_like`); ``--csv-formulas
  keep`` writes them raw;
* with ``-o -`` (the verbs whose result is one table or layer: export, structure,
  geocode with ``--report FILE``, buffer, nearest, within, matrix, drive, review, site)
  writes the result to standard output instead, as CSV or (``--format geojson``)
  GeoJSON, with no manifest (a note on stderr says so) and the summary on stderr;
  ``-`` as a LAYER or TABLE argument reads a CSV table from standard input; a
  closed pipe (``lzgis layers | head -1``) ends quietly with exit status 141;
* reports progress and warnings on stderr (``-q`` silences progress): a line
  per step, and on a terminal a bar (tqdm, Chinese labels) for work over 2 s
  (:mod:`gis._progress`); a summary on stdout, as JSON with ``--json``.

LAYER arguments take a shipped layer name (``lzgis layers``), ``structure:NAME``
(``lzgis structures``), or a file: GeoPackage (``file.gpkg:layer`` picks a layer),
GeoJSON, Shapefile, CSV/Excel with lon/lat columns.  The text encoding of a
CSV/TXT or Shapefile input is detected (byte-order mark, else UTF-8, else GBK;
a Shapefile's .cpg) or given with ``--input-encoding`` (``--encoding`` is the
encoding of the *output*).  Rows are named by spreadsheet row number (header =
row 1); the analyses (buffer, nearest, within, matrix) refuse a table row with
a blank coordinate cell, naming it, while export and map keep it without
geometry, with a warning.

Help: each verb's help starts with a Chinese one-line summary and ends with Chinese examples
(``示例：``); their wording is data, in ``gis/cli/help.yaml`` (:mod:`gis.cli._help`).

Exit status: 0 success; 2 bad input or usage (missing file, unknown layer or
column, unreadable encoding, existing output, a bad option value such as
``-k 0`` or ``--distance-m -5``, a disk that is full, read-only or not
writable), with one line
``lzgis: error: <reason>`` on stderr; 1 an unexpected internal error (a bug:
set ``LZGIS_DEBUG=1`` for the traceback); 130 interrupted.
"""

from __future__ import annotations

# The verbs register themselves on the group when their module is imported.  Note that ``gis.cli.main``
# (the attribute) is the entry-point function below; its module is ``sys.modules["gis.cli.main"]``,
# which ``from gis.cli.main import ...`` reaches as usual.
from . import drive, geocode, layers, maps, proximity, review  # noqa: F401 - registers the verbs
from ._help import apply_help
from .main import cli, main

apply_help(cli)  # the Chinese summaries and examples of help.yaml

__all__ = ["cli", "main"]
