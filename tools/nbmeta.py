"""Give notebooks the metadata JupyterLab writes and `nbdev_clean` keeps, so that opening and saving one changes nothing.

    .venv/bin/python tools/nbmeta.py [NOTEBOOK_OR_FOLDER ...]   # default: nbs/ ; rewrites only notebooks that differ
    .venv/bin/python tools/nbmeta.py --check [...]              # lists the notebooks that differ, exit 1 if any

The notebook metadata becomes exactly {kernelspec, language_info} (plus any other key nbdev_clean keeps, e.g. widgets):
- kernelspec {display_name: 'python3', language: 'python', name: 'python3'}: nbdev_clean always sets display_name to the
  kernel's name, so that is the only kernelspec both nbdev_clean and JupyterLab leave alone when the kernel's own
  display_name is 'python3'; `make lab` serves that kernel spec (tools/jupyter/kernels/python3/kernel.json), which runs
  the same `python -m ipykernel_launcher` as ipykernel's 'Python 3 (ipykernel)'.
- language_info as ipykernel reports it (codemirror_mode, file_extension, mimetype, name, nbconvert_exporter,
  pygments_lexer, version): settings.ini's allowed_metadata_keys keeps it through nbdev_clean. The version is this
  Python's; a kernel on another Python release writes its own version there when it saves.
Files are written as nbdev and JupyterLab write them (sorted keys, indent 1, UTF-8, trailing newline).
"""
import json, platform, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KERNELSPEC = {'display_name': 'python3', 'language': 'python', 'name': 'python3'}

def language_info(version:str|None=None) -> dict:
    "`language_info` as ipykernel's kernel_info reply gives it for this Python (or `version`)."
    return {'codemirror_mode': {'name': 'ipython', 'version': 3}, 'file_extension': '.py', 'mimetype': 'text/x-python',
            'name': 'python', 'nbconvert_exporter': 'python', 'pygments_lexer': 'ipython3',
            'version': version or platform.python_version()}

def normalise(nb:dict, version:str|None=None) -> dict:
    "`nb` (a notebook as a dict) with the kernelspec and language_info above; other metadata keys are left as they are."
    nb['metadata'] = {**nb.get('metadata', {}), 'kernelspec': dict(KERNELSPEC), 'language_info': language_info(version)}
    return nb

def dumps(nb:dict) -> str:
    "The file text nbdev_clean and JupyterLab write for `nb`."
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + '\n'

def is_normal(nb:dict, check_version:bool=False) -> bool:
    "Whether `nb`'s kernelspec and language_info are the ones above (the Python version only if `check_version`)."
    md = nb.get('metadata', {})
    li = dict(md.get('language_info', {})); want = language_info()
    if not check_version: li.pop('version', None); want.pop('version')
    return md.get('kernelspec') == KERNELSPEC and li == want

def notebooks(args) -> list[Path]:
    "The notebooks named in `args` (files, or folders searched recursively, skipping checkpoints and _/. folders)."
    out = []
    for a in (args or [ROOT/'nbs']):
        p = Path(a)
        if p.is_dir(): out += sorted(q for q in p.rglob('*.ipynb') if not any(s.startswith(('.', '_')) for s in q.relative_to(p).parts[:-1]))
        else: out.append(p)
    return out

def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    check = '--check' in argv
    if check: argv.remove('--check')
    changed = []
    for p in notebooks(argv):
        text = p.read_text(encoding='utf-8')
        new = dumps(normalise(json.loads(text)))
        if new == text: continue
        changed.append(p)
        if not check: p.write_text(new, encoding='utf-8')
    for p in changed: print(f"{'differs' if check else 'normalised'}: {p}")
    return 1 if check and changed else 0

if __name__ == '__main__': sys.exit(main())
