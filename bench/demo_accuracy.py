"""Held-out pairwise accuracy of the demo's training stage on the sample data, for chosen settings and seeds, in one run.

Each seed writes its own sample set (same seed, same files as `mirip-lab demo --seed S`), trains the tiny DINOv2 ranker end to
end through `mirip_lab.demo.stage_train_eval` (the demo's stage, with batch 32 and the default DataLoader instead of the
earlier stages' choices) and prints train/val/test accuracy, Kendall tau and the stage's wall time.

    python bench/demo_accuracy.py                                          # the demo's settings, seeds 0 1 2
    python bench/demo_accuracy.py --n-images 96 --epochs 30 --pairs-per-image 16 --augment flip   # the demo before #5 closed
    python bench/demo_accuracy.py --augment-on loader                      # augmentation per sample in the loader (the old path)
    python bench/demo_accuracy.py --augment-on device loader               # both per seed, taking turns: ratios

With two paths, each seed trains once per path on the same sample set, and the two trainings take turns epoch by epoch (each in
its own process, one running at a time, handing over after each epoch through a Trainer callback): load that drifts over the
minutes of a run then hits both paths alike, and each trains exactly as it would alone (same accuracy). Processes, not threads:
two threads of one process each get their own torch (OpenMP) thread team, and the idle team's workers spin after each hand-over
(a first version with threads measured both paths at about half their speed alone). The run ends with each path's median
pairs/s and data-wait and the device/loader pairs/s ratio per seed; the seconds are each path's own (waiting for its turn left
out). Before 2026-12-01 the paths ran one after the other, and a load change between them moved the per-seed ratio (1.27x to
1.97x across seeds in one run).

Last run (2-core VM, 2026-12-01, load 2.7 falling to 0.6, 16 min): device/loader pairs/s 1.84x, 1.73x, 1.74x for seeds 0, 1, 2
(device 1,023 / 1,274 / 1,149 pairs/s, data-wait 6.2-7.1%; loader 555 / 737 / 660 pairs/s, data-wait 49.6-51.3%); test accuracy
on the device path 0.942 / 0.951 / 0.938 (per-sample path 0.951 / 0.958 / 0.965).
"""
import argparse, multiprocessing, queue, tempfile, time, traceback
from pathlib import Path
import pandas as pd
from mirip_lab.data import QUALITY_AUGMENT, load_metadata
from mirip_lab.demo import stage_train_eval
from mirip_lab.sample import make_sample_data
from mirip_lab.utils import md_table, DemoContext

AUGMENT = {'quality': QUALITY_AUGMENT, 'flip': True}

def _throughput(out:Path) -> dict:
    "Median pairs/s and data-wait share of the stage's epochs after the first (from the Trainer's metrics.csv)."
    h = pd.read_csv(out/'train'/'metrics.csv')
    h = h[h.epoch > 1]   # by epoch number: metrics.csv also holds micro-batch event rows (NaN figures, skipped by the medians)
    return dict(pairs_per_s=round(h.samples_per_s.median()), data_wait=round(h.data_wait_frac.median(), 3))

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--n-images', type=int, default=384, help='sample images (split evenly over the tiers; 60/20/20 train/val/test)')
    p.add_argument('--size', type=int, default=64, help='image side in pixels')
    p.add_argument('--epochs', type=int, default=25)
    p.add_argument('--pairs-per-image', type=int, default=8, help='partners drawn per training image each epoch')
    p.add_argument('--augment', choices=list(AUGMENT), default='quality', help="'quality': QUALITY_AUGMENT; 'flip': horizontal flip only")
    p.add_argument('--augment-on', choices=['device', 'loader'], nargs='+', default=['device'],
                   help="'device': uint8 batches augmented on the training device (the demo's default); 'loader': per sample in the "
                        "loader; both: each seed trains once per path and the run prints the pairs/s ratio")
    p.add_argument('--batch-size', type=int, default=32)
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    a = p.parse_args()
    a.augment_on = list(dict.fromkeys(a.augment_on))   # a path named twice trains once (its pivot would fail after all the training)
    rows = []
    for i, seed in enumerate(a.seeds):
        paths = a.augment_on if i % 2 == 0 else a.augment_on[::-1]   # the first path alternates
        rows += [_run(a, seed, on) for on in paths] if len(paths) == 1 else _in_turns(a, seed, paths)
    df = pd.DataFrame(rows)
    print(f"\n{a.n_images} images at {a.size} px, {a.epochs} epochs x {a.pairs_per_image} pairs/image, augment {a.augment}, "
          f"batch {a.batch_size}:\n")
    print(md_table(df, '{:.3f}'))
    for on, g in df.groupby('augment_on', sort=False):
        print(f"\n{on}: test accuracy mean {g.test.mean():.3f}, min {g.test.min():.3f}; median {g.pairs_per_s.median():.0f} pairs/s, "
              f"data-wait {g.data_wait.median():.1%}")
    if {'device', 'loader'} <= set(df.augment_on):
        w = df.pivot(index='seed', columns='augment_on', values='pairs_per_s')
        r = w.device / w.loader
        print('\ndevice/loader pairs/s per seed: ' + ', '.join(f'seed {k} {v:.2f}x' for k, v in r.items()) + f' (min {r.min():.2f}x)')

class Turns:
    "Trainings in processes take turns: one runs at a time and hands over after each epoch (the others wait, blocked)."
    def __init__(self, names, mp):
        self.names, self.cv, self.turn = list(names), mp.Condition(), mp.Value('i', 0)
        self.live, self.waited = mp.Array('b', [1] * len(names)), mp.Array('d', len(names))
    def _next(self, i:int) -> int:
        n = len(self.names)
        return next((j for j in ((i + k) % n for k in range(1, n + 1)) if self.live[j]), i)
    def _wait(self, i:int):
        t0 = time.perf_counter()
        self.cv.wait_for(lambda: self.turn.value == i)
        self.waited[i] += time.perf_counter() - t0
    def start(self, me:str):
        with self.cv:
            self._wait(self.names.index(me))
    def hand_over(self, me:str):   # a Trainer callback fn(trainer, row), after each epoch
        i = self.names.index(me)
        with self.cv:
            self.turn.value = self._next(i)
            self.cv.notify_all()
            self._wait(i)
    def done(self, me:str):
        with self.cv:
            i = self.names.index(me)
            self.live[i] = 0
            self.turn.value = self._next(i)
            self.cv.notify_all()

def _job(a, seed:int, on:str, turns:Turns, results):
    turns.start(on)
    try: results.put((on, _run(a, seed, on, turns)))
    except BaseException:
        results.put((on, traceback.format_exc()))   # text: any error reaches the parent
        raise
    finally: turns.done(on)

def _in_turns(a, seed:int, paths:list) -> list[dict]:
    "Train `seed` once per path, each in its own process, the paths taking turns epoch by epoch; their rows in `paths` order."
    mp = multiprocessing.get_context('spawn')   # a fresh process each: its own torch threads and random state
    turns, results = Turns(paths, mp), mp.Queue()
    procs = [mp.Process(target=_job, args=(a, seed, on, turns, results)) for on in paths]
    for p in procs: p.start()
    rows = {}
    while len(rows) < len(procs):
        try:
            on, r = results.get(timeout=5)
            rows[on] = r
        except queue.Empty:   # a process gone without its row (killed, out of memory): its last word may still be on the way
            if any(p.exitcode is not None and on not in rows for p, on in zip(procs, paths)):
                try:
                    on, r = results.get(timeout=5)
                    rows[on] = r
                except queue.Empty: break
    for p in procs:
        if len(rows) < len(procs): p.terminate()   # the other would wait for its turn for ever
        p.join()
    if len(rows) < len(procs): raise SystemExit(f"seed {seed}: a training process died (exit codes {[p.exitcode for p in procs]})")
    if bad := [r for r in rows.values() if isinstance(r, str)]: raise SystemExit(f"seed {seed}: a training failed:\n{bad[0]}")
    return [rows[on] for on in paths]

def _run(a, seed:int, on:str, turns:Turns|None=None) -> dict:
    "Train and evaluate the demo's stage once for `seed` with augmentation on `on` (taking `turns` with another); print and return its figures."
    with tempfile.TemporaryDirectory() as d:
        out = Path(d)
        make_sample_data(out/'data', a.n_images, a.size, seed)
        ctx = DemoContext(out, seed=seed, size=a.size, max_epochs=a.epochs, pairs_per_image=a.pairs_per_image, batch_size=a.batch_size,
                   augment=AUGMENT[a.augment], metadata=load_metadata(out/'data'/'metadata.csv'), loader_kwargs={},
                   augment_on=on, progress=turns is None, callbacks=() if turns is None else (lambda t, row: turns.hand_over(on),))
        w0, t0 = turns.waited[turns.names.index(on)] if turns else 0., time.perf_counter()
        stage_train_eval(ctx)
        dt = time.perf_counter() - t0 - ((turns.waited[turns.names.index(on)] - w0) if turns else 0.)
        speed = _throughput(out)
    r = ctx.pairwise
    print(f"seed {seed}, augment on the {on}: test pairwise accuracy {r['test_accuracy']:.3f} (Kendall tau {r['kendall_tau']:.3f}), "
          f"{dt:.0f} s, {speed['pairs_per_s']} pairs/s, data-wait {speed['data_wait']:.1%}", flush=True)
    return dict(seed=seed, augment_on=on, train=r['train_accuracy'], val=r['val_accuracy'], test=r['test_accuracy'],
                kendall_tau=r['kendall_tau'], seconds=round(dt), **speed)

if __name__ == '__main__': main()
