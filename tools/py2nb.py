"Convert a percent-format script to a clean notebook: `python tools/py2nb.py /tmp/NN_name.py nbs/NN_name.ipynb` (metadata from tools/nbmeta.py)."
import sys, jupytext, nbformat
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import nbmeta

src, dst = sys.argv[1], sys.argv[2]
nb = jupytext.read(src)
for c in nb.cells: c.metadata = {}
nb.metadata = {}
nbformat.write(nbformat.from_dict(nbmeta.normalise(nb)), dst)
