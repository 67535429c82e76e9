"""Run every notebook's tests through nbdev's own `test_nb`, in a process pool as `nbdev_test` does, and count from its results.

`python tools/nbtest.py [--path GLOB] [--flags 'slow gpu'] [--n_workers N] [--do_print] [--timing]`
prints one line per notebook as it finishes (passed/FAILED, seconds), then the timings slowest first and a closing
'notebooks: N passed, N failed' line; exits 1 when a notebook failed or when none ran.
"""
import argparse, os, sys, time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

def notebooks(path=None) -> list[Path]:
    "The notebooks `nbdev_test --path path` would test (nbdev's glob, skipping folders with a `.notest` file)."
    from nbdev.doclinks import nbglob
    from nbdev.test import _keep_file
    return [f.absolute() for f in sorted(nbglob(path, as_path=True)) if _keep_file(f, '.notest')]

def run(files, flags:str='', n_workers:int|None=None, do_print:bool=False, pause:float=0.01) -> dict:
    "{notebook: (passed, seconds)}, from `test_nb`'s own return values; a worker that died counts as a failure."
    from nbdev.config import get_config
    from nbdev.test import test_nb   # submitted by reference: a notebook's shell replaces a worker's __main__, so nothing of ours may be pickled from there
    cfg = get_config()
    skip, force = cfg.tst_flags.split(), flags.split()
    wd = cfg.nbs_path if cfg.nbs_path and cfg.nbs_path.exists() else Path.cwd()
    if n_workers is None: n_workers = 1 if len(files) == 1 else min(os.cpu_count() or 1, 8)
    res, t0 = {}, {}
    os.chdir(wd)                      # workers inherit it: notebooks run from nbs/, as under nbdev_test
    with ProcessPoolExecutor(max_workers=max(n_workers, 1)) as ex:
        futs = {}
        for f in files:
            futs[ex.submit(test_nb, f, skip_flags=skip, force_flags=force, do_print=do_print, basepath=str(cfg.config_path))] = f
            t0[f] = time.time(); time.sleep(pause)
        for fut in as_completed(futs):
            f = futs[fut]
            try: ok, secs = fut.result()
            except Exception as e:  # the worker process died (killed, out of memory): no result from test_nb
                ok, secs = False, time.time() - t0[f]
                print(f"{f.name}: worker failed: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
            res[f] = (bool(ok), float(secs))
            print(f"{'passed' if ok else 'FAILED'} {f.name} ({secs:.0f} s)", flush=True)
    return res

def summary(res:dict) -> str:
    "Timings slowest first, the failed notebooks by name, and the closing 'notebooks: N passed, N failed' line."
    lines = [f"{f.name}: {t:.0f} secs" for f, (ok, t) in sorted(res.items(), key=lambda o: -o[1][1])]
    failed = sorted(f.name for f, (ok, _) in res.items() if not ok)
    if failed: lines.append('Tests failed in: ' + ', '.join(failed))
    lines.append(f"notebooks: {len(res) - len(failed)} passed, {len(failed)} failed")
    return '\n'.join(lines)

def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--path', default=None, help='a notebook or glob (default: every notebook in nbs/)')
    p.add_argument('--flags', default='', help="space separated test flags to run that are normally skipped, e.g. 'slow'")
    p.add_argument('--n_workers', type=int, default=None, help='worker processes (default: as nbdev_test, min(cores, 8))')
    p.add_argument('--do_print', action='store_true', help="print nbdev's Starting/Completed lines")
    p.add_argument('--timing', action='store_true', help='accepted for nbdev_test compatibility: timings are always printed')
    a = p.parse_args(argv)
    files = notebooks(a.path)
    if not files:
        print('notebooks: 0 passed, 0 failed', flush=True)
        print(f"FAIL: no notebook was tested (--path {a.path!r} matched none)", file=sys.stderr)
        return 1
    res = run(files, a.flags, a.n_workers, a.do_print)
    print(summary(res), flush=True)
    return 0 if res and all(ok for ok, _ in res.values()) else 1

if __name__ == '__main__': sys.exit(main())
