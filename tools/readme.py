"Write README.md from nbs/index.ipynb (markdown cells as they are, code cells as fenced blocks, `#| hide` cells left out)."
import json, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
def render(nb_path=root/'nbs'/'index.ipynb') -> str:
    nb = json.loads(nb_path.read_text(encoding='utf-8'))
    parts = ['<!-- generated from nbs/index.ipynb by tools/readme.py (make readme); edit the notebook, not this file -->']
    for c in nb['cells']:
        src = ''.join(c['source']).strip()
        if not src or src.startswith('#| hide') or src.startswith('#|hide'): continue
        parts.append(src if c['cell_type'] == 'markdown' else f"```python\n{src}\n```")
    return '\n\n'.join(parts) + '\n'

if __name__ == '__main__':
    text, readme = render(), root/'README.md'
    if '--check' in sys.argv: sys.exit(0 if readme.exists() and readme.read_text(encoding='utf-8') == text else 1)
    readme.write_text(text, encoding='utf-8')
