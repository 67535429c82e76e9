"""`make lab-check`: JupyterLab in a real, headless browser, as a new user meets it.

Starts JupyterLab on 127.0.0.1 (a free port, a random token) over nbs/, and drives Debian's chromium through
chromedriver with Selenium:
1. opens nbs/04c_dashboard.ipynb, waits for its kernel, saves it (Ctrl+S) and checks that the file did not change and
   that the tab was never marked modified (the notebook metadata is what JupyterLab writes: tools/nbmeta.py);
2. opens a generated notebook that trains a small model for one epoch with the Trainer, a slow dataset (so that the
   epoch lasts a few seconds) and the TrainingDashboard callback, runs all cells, and asserts from the DOM that a widget
   progress bar (tqdm.auto -> ipywidgets) and the dashboard (its figure and stats table) rendered, with no error output;
3. shows the ranker's error browser and the loader sweep view on generated data, picks another tier pair in the
   browser's Dropdown and checks that the pairs shown change (the kernel answered the widget);
4. saves screenshots: runs/lab-check-progress.png (during the epoch), runs/lab-check.png (the dashboard at the end),
   runs/lab-check-views.png (the two other views).

Needs: `apt-get install -y chromium chromium-driver` (Debian). Exit status 0 when every check held.
Options: --out runs/lab-check.png, --timeout 240 (seconds for the training notebook), --keep (keep the generated notebook).
"""
import argparse, json, os, secrets, shutil, socket, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT/'nbs'
sys.path.insert(0, str(ROOT/'tools'))
import nbmeta

TRAIN_CELLS = [
    "import tempfile\n"
    "from mirip_lab.train import Trainer, TrainingConfig, SupervisedModule\n"
    "from mirip_lab.test_utils import RegModel, SlowDataset, synth_regression\n"
    "from mirip_lab.dashboard import TrainingDashboard",
    "# one epoch of a linear model; each sample takes 25 ms to 'load', so the epoch lasts ~6 s and the bar is seen moving\n"
    "out = tempfile.mkdtemp(prefix='run_', dir='.')  # inside nbs/tmp_lab_check/, which lab_check removes at the end\n"
    "cfg = TrainingConfig(max_epochs=1, batch_size=8, log_every_steps=1, checkpoint_dir=out, print_every=0, plot=False)\n"
    "dash = TrainingDashboard()\n"
    "trainer = Trainer(SupervisedModule(RegModel()), cfg, callbacks=[dash])\n"
    "hist = trainer.fit(SlowDataset(synth_regression(256), delay=0.025), synth_regression(64))",
    "# the other two views on generated data: the ranker's error browser and the loader sweep\n"
    "import numpy as np, pandas as pd\n"
    "from mirip_lab.test_utils import mirip_folder\n"
    "from mirip_lab.data import PairwiseDataset, load_metadata\n"
    "from mirip_lab.diagnose import Sweep\n"
    "from mirip_lab.dashboard import ErrorBrowser, SweepView, pair_errors\n"
    "folder = mirip_folder(f'{out}/mirip', n_images=16, size=96)\n"
    "test_ds = PairwiseDataset(load_metadata(folder/'metadata.csv'), folder/'images')\n"
    "rng = np.random.default_rng(0); s1, s2 = rng.normal(size=len(test_ds)), rng.normal(size=len(test_ds))\n"
    "browser = ErrorBrowser(pair_errors(test_ds, s1, s2), n=2, thumb=96); browser",
    "tab = pd.DataFrame(dict(setting=['w2 persist', 'w1 persist', 'w0'], samples_per_s=[900., 700., 300.], speedup=[3., 7/3, 1.],\n"
    "                        wait_frac=[0.05, 0.3, 0.7], copy_frac=[0.05, 0.05, 0.05], compute_frac=[0.9, 0.65, 0.25], epoch_start_s=[0.4, 0.3, 0.],\n"
    "                        wait_ms=[0.4, 3.4, 18.7], copy_ms=[0.4, 0.6, 1.3], compute_ms=[8., 7.4, 6.7]))  # what Sweep.figure draws\n"
    "SweepView(Sweep(tab, {}, [], {'w2 persist': dict(num_workers=2, persistent_workers=True), 'w1 persist': dict(num_workers=1, persistent_workers=True), 'w0': dict(num_workers=0)}))",
    "print('LAB-CHECK', 'widget' if dash.widget else 'text', len(dash.rows), 'epoch(s)')",
]

def train_notebook(path:Path):
    "Write the one-epoch training notebook (metadata as JupyterLab writes it)."
    cells = [dict(cell_type='markdown', id='00000000', metadata={}, source=['# lab-check: one epoch with the dashboard'])]
    cells += [dict(cell_type='code', execution_count=None, id=f'{i+1:08x}', metadata={}, outputs=[], source=s.splitlines(keepends=True))
              for i, s in enumerate(TRAIN_CELLS)]
    nb = nbmeta.normalise(dict(cells=cells, metadata={}, nbformat=4, nbformat_minor=5))
    path.parent.mkdir(parents=True, exist_ok=True); path.write_text(nbmeta.dumps(nb), encoding='utf-8')

def free_port() -> int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def start_lab(port:int, token:str, tmp:Path, log):
    "JupyterLab on 127.0.0.1:port over nbs/, its workspace and runtime state in `tmp`; returns the process once it answers."
    settings = tmp/'settings'/'@jupyterlab'/'apputils-extension'   # a fresh user's settings, minus the news question
    settings.mkdir(parents=True); (settings/'notification.jupyterlab-settings').write_text('{"fetchNews": "false"}')
    env = {**os.environ, 'JUPYTER_PATH': str(ROOT/'tools'/'jupyter'), 'JUPYTER_RUNTIME_DIR': str(tmp/'runtime'),
           'JUPYTERLAB_WORKSPACES_DIR': str(tmp/'workspaces'), 'JUPYTERLAB_SETTINGS_DIR': str(tmp/'settings')}
    cmd = [str(ROOT/'.venv'/'bin'/'jupyter'), 'lab', '--no-browser', '--ip=127.0.0.1', f'--port={port}', f'--IdentityProvider.token={token}',
           f'--ServerApp.root_dir={NBS}', f'--LabApp.workspaces_dir={tmp/"workspaces"}',
           '--ServerApp.port_retries=0', '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate']
    if hasattr(os, 'getuid') and os.getuid() == 0: cmd.append('--allow-root')
    p = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    t0 = time.time()
    while time.time() - t0 < 90:
        if p.poll() is not None: raise RuntimeError(f"jupyter lab exited with {p.returncode}; see {log.name}")
        try:
            with urllib.request.urlopen(f'http://127.0.0.1:{port}/api/status?token={token}', timeout=2) as r:
                if r.status == 200: return p
        except OSError: time.sleep(0.5)
    p.terminate(); raise RuntimeError(f"jupyter lab did not answer on port {port} within 90 s; see {log.name}")

def browser(size=(1400, 1000)):
    "Headless Debian chromium driven by chromedriver."
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    o = webdriver.ChromeOptions()
    o.binary_location = shutil.which('chromium') or '/usr/bin/chromium'
    for a in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', f'--window-size={size[0]},{size[1]}'): o.add_argument(a)
    return webdriver.Chrome(service=Service(shutil.which('chromedriver') or '/usr/bin/chromedriver'), options=o)

def wait(fn, timeout:float, what:str, every:float=0.25):
    "Poll `fn()` until it returns something truthy; raise naming `what` after `timeout` seconds."
    t0 = time.time()
    while time.time() - t0 < timeout:
        v = fn()
        if v: return v
        time.sleep(every)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")

JS_STATE = """
const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
const q = s => nb ? Array.from(nb.querySelectorAll(s)) : [];
const dash = q('.mirip-dashboard');
const status = Array.from(document.querySelectorAll('.jp-StatusBar-TextItem, .jp-Toolbar-kernelStatus, [data-status]')).map(e => e.textContent + ' ' + (e.dataset.status || '')).join(' | ');
return {
  notebook: !!nb,
  progress: q('.widget-hprogress, .widget-vprogress, .widget-progress').length,
  dashboard: dash.length,
  dashboard_img: dash.map(d => Array.from(d.querySelectorAll('img')).filter(i => i.complete && i.naturalWidth > 0).length).reduce((a, b) => a + b, 0),
  dashboard_stats: dash.map(d => d.textContent).join(' '),
  errors: q('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]').length,
  stderr: q('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').map(e => e.textContent).join(' ').slice(0, 2000),
  text: q('.jp-OutputArea-output').map(e => e.textContent).join(' ').slice(-4000),
  browser_imgs: q('.mirip-error-browser img').filter(i => i.complete && i.naturalWidth > 0).length,
  browser_pair: q('.mirip-error-browser select').map(e => e.value).join(','),
  browser_text: q('.mirip-error-browser').map(e => e.textContent).join(' ').slice(0, 1000),
  sweep_imgs: q('.mirip-sweep img').filter(i => i.complete && i.naturalWidth > 0).length,
  sweep_rows: q('.mirip-sweep table tbody tr').length,
  dirty: document.querySelectorAll('.lm-TabBar-tab.jp-mod-dirty').length,
  status: status.slice(0, 500),
};"""

def state(d) -> dict: return d.execute_script(JS_STATE)

def open_notebook(d, base, token, rel):
    d.get(f"{base}/lab/tree/{rel}?token={token}&reset")
    wait(lambda: state(d)['notebook'], 120, f"JupyterLab to show {rel}")
    wait(lambda: 'Idle' in state(d)['status'], 120, f"the kernel of {rel} to be idle")

def run_menu(d, menu:str, item:str):
    "Click a JupyterLab main-menu item, e.g. ('Run', 'Run All Cells')."
    from selenium.webdriver.common.by import By
    d.find_element(By.XPATH, f"//div[contains(@class,'lm-MenuBar-itemLabel') and normalize-space()='{menu}']").click()
    wait(lambda: d.find_elements(By.XPATH, f"//div[contains(@class,'lm-Menu-itemLabel') and normalize-space()='{item}']"), 10, f"menu item {item}")[0].click()

def check_opens_clean(d, base, token) -> list[str]:
    "Open and save nbs/04c_dashboard.ipynb; the file must not change and the tab must not be marked modified."
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.common.action_chains import ActionChains
    p, fails = NBS/'04c_dashboard.ipynb', []
    before = p.read_bytes()
    open_notebook(d, base, token, p.name)
    time.sleep(2)  # let the kernel's info arrive (JupyterLab writes language_info from it)
    if state(d)['dirty']: fails.append(f"{p.name} was marked modified after opening")
    mtime = p.stat().st_mtime_ns
    d.find_element('css selector', '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook').click()
    ActionChains(d).key_down(Keys.CONTROL).send_keys('s').key_up(Keys.CONTROL).perform()
    try: wait(lambda: p.stat().st_mtime_ns != mtime, 20, f"{p.name} to be saved")
    except TimeoutError as e: fails.append(str(e))
    after = p.read_bytes()
    if after != before:
        fails.append(f"saving {p.name} unchanged changed the file (restored; diff the metadata with tools/nbmeta.py --check)")
        p.write_bytes(before)
    return fails

def check_views(d, s, out) -> list[str]:
    "The error browser and the sweep view rendered; picking another tier pair in the browser's Dropdown redraws its pairs."
    from selenium.webdriver.support.ui import Select
    fails = []
    if s['browser_imgs'] < 2: fails.append(f"the error browser shows {s['browser_imgs']} loaded images (want 2 per pair)")
    if s['sweep_imgs'] < 1 or s['sweep_rows'] != 3: fails.append(f"the sweep view: {s['sweep_imgs']} figure(s), {s['sweep_rows']} table rows (want 1 and 3)")
    sel = d.find_elements('css selector', '.jp-NotebookPanel:not(.lm-mod-hidden) .mirip-error-browser select')
    if not sel: return fails + ["no Dropdown (<select>) in the error browser"]
    d.execute_script("arguments[0].scrollIntoView({block: 'start'})", sel[0])
    before, opts = s['browser_text'], Select(sel[0]).options
    Select(sel[0]).select_by_index(len(opts) - 1)          # the worst tiers, e.g. B–C
    try: wait(lambda: state(d)['browser_text'] != before and state(d)['browser_imgs'] >= 2, 20, "the error browser to show the picked tier pair")
    except TimeoutError as e: fails.append(str(e))
    time.sleep(0.5); d.save_screenshot(str(out.with_name(out.stem + '-views.png')))
    print(f"views: error browser {s['browser_imgs']} images, picked {opts[-1].text!r}; sweep view {s['sweep_rows']} rows", flush=True)
    return fails

def main(argv=None) -> int:
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument('--out', default=str(ROOT/'runs'/'lab-check.png'))
    a.add_argument('--timeout', type=float, default=240)
    a.add_argument('--keep', action='store_true')
    a = a.parse_args(argv)
    out = Path(a.out); out.parent.mkdir(parents=True, exist_ok=True)
    rel = 'tmp_lab_check/train_one_epoch.ipynb'          # nbs/**/tmp_*/ is git-ignored
    nb_path, ckpt = NBS/rel, NBS/'.ipynb_checkpoints'
    had_ckpt = ckpt.exists()
    train_notebook(nb_path)
    port, token, fails = free_port(), secrets.token_hex(16), []
    base = f'http://127.0.0.1:{port}'
    with tempfile.TemporaryDirectory(prefix='lab_check_') as tmp:
        log = open(Path(tmp)/'jupyter.log', 'w+')
        lab = start_lab(port, token, Path(tmp), log)
        d = None
        try:
            d = browser()
            fails += check_opens_clean(d, base, token)
            print(f"opened and saved 04c_dashboard.ipynb: {'unchanged' if not fails else '; '.join(fails)}", flush=True)
            open_notebook(d, base, token, rel)
            run_menu(d, 'Run', 'Run All Cells')
            t0, seen_progress, shot_progress = time.time(), 0, False
            while time.time() - t0 < a.timeout:
                s = state(d)
                if s['progress']:
                    seen_progress = max(seen_progress, s['progress'])
                    if not shot_progress: time.sleep(1); d.save_screenshot(str(out.with_name(out.stem + '-progress.png'))); shot_progress = True
                if 'LAB-CHECK' in s['text'] or s['errors']: break
                time.sleep(0.25)
            time.sleep(1.5)  # let the last images load
            s = state(d)
            fails += check_views(d, s, out)
            d.execute_script("document.querySelector('.mirip-dashboard').scrollIntoView({block: 'center'})")
            time.sleep(0.5)
            d.save_screenshot(str(out))
            print(f"training notebook: {json.dumps({k: s[k] for k in ('progress', 'dashboard', 'dashboard_img', 'errors')})}; "
                  f"progress widget seen during the epoch: {seen_progress}", flush=True)
            if 'LAB-CHECK widget 1 epoch(s)' not in s['text']: fails.append(f"the notebook did not finish in widget mode within {a.timeout:.0f} s; outputs: {s['text'][-600:]!r}")
            if s['errors']: fails.append(f"the training notebook raised an error: {s['text'][-1500:]}")
            if not seen_progress: fails.append("no ipywidgets progress bar (.widget-hprogress) appeared during training (tqdm.auto fell back to text?)")
            if 'IProgress not found' in s['stderr']: fails.append("tqdm printed 'IProgress not found': ipywidgets is not installed in the kernel")
            if not s['dashboard']: fails.append("no dashboard (.mirip-dashboard) in the page")
            elif not s['dashboard_img']: fails.append("the dashboard's figure did not load")
            elif 'samples/s' not in s['dashboard_stats'] or 'peak' not in s['dashboard_stats']: fails.append(f"the dashboard's stats table is incomplete: {s['dashboard_stats']!r}")
        except Exception as e:
            fails.append(f"{type(e).__name__}: {e}")
            if d is not None:
                try: d.save_screenshot(str(out))
                except Exception: pass
        finally:
            if d is not None: d.quit()
            lab.terminate()
            try: lab.wait(15)
            except subprocess.TimeoutExpired: lab.kill()
            log.seek(0); lab_log = log.read(); log.close()
            if not a.keep: shutil.rmtree(nb_path.parent, ignore_errors=True)
            if not had_ckpt: shutil.rmtree(ckpt, ignore_errors=True)
    print(f"screenshots: {out}, {out.with_name(out.stem + '-progress.png')}, {out.with_name(out.stem + '-views.png')}")
    if fails:
        print('lab-check FAILED:\n  ' + '\n  '.join(fails) + '\n--- jupyter log (tail) ---\n' + lab_log[-3000:], file=sys.stderr)
        return 1
    print('lab-check passed: widget progress bar and dashboard rendered in JupyterLab; 04c_dashboard.ipynb opens and saves unchanged')
    return 0

if __name__ == '__main__': sys.exit(main())
