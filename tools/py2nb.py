"Convert a percent-format script to a clean notebook: `python tools/py2nb.py /tmp/NN_name.py nbs/NN_name.ipynb`."
import sys, jupytext, nbformat

src, dst = sys.argv[1], sys.argv[2]
nb = jupytext.read(src)
nb.metadata = {'kernelspec': {'display_name': 'python3', 'language': 'python', 'name': 'python3'}}
for c in nb.cells: c.metadata = {}
nbformat.write(nb, dst)
