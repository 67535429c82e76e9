"""A bounded kill campaign: SIGKILL a short training at N random moments (some inside checkpoint writes), resume each time,
and compare with an uninterrupted run of the same config.

    .venv/bin/python bench/kill_campaign.py --kills 20          # about 2-4 minutes on a 2-core VM

Each round starts `mirip-lab train --task regression --resume auto` with every-epoch checkpoints, waits for a random
number of its epoch lines (1 to the epochs it has left), then for a random part of an epoch's time, kills it with SIGKILL,
then checks the folder:
- corrupt files: every `*.pt` must load (`torch.load(weights_only=True)`);
- lost checkpoints: `checkpoint_epoch_N.pt` must exist for every epoch N that `last_model.pt` says is done;
- exact resume: the weights in `last_model.pt` must equal, bit for bit, the uninterrupted run's weights after that epoch
  (what the next round resumes from); at the end the finished run's weights must equal the uninterrupted run's;
- about a third of the kills wait for a checkpoint write to begin (a `.tmp` file beside the checkpoints) and strike inside it;
- leftovers: after each resumed start no temporary checkpoint file (`.*.tmp`) may remain from the killed run;
- lost results: every finished folder's metrics.csv must hold epochs 1..N once each, with the uninterrupted run's losses.
Kill moments are counted in the run's own epochs, not in seconds measured on another run, so a machine under load
still gets kills spread over the whole training and few rounds end before their kill.
It prints `K kills, K exact resumes, 0 corrupt files, 0 lost checkpoints, 0 leftovers, 0 lost metrics rows` when everything held.
"""
import argparse, os, random, signal, subprocess, sys, tempfile, time
import pandas as pd
from pathlib import Path
import torch

CMD = [sys.executable, '-c', 'import sys; from mirip_lab.cli import main; sys.exit(main())', 'train', '--task', 'regression']
CONFIG = """max_epochs: {epochs}
batch_size: 8
save_every_n_epochs: 1
progress: false
plot: false
seed: 0
"""


def run(out: Path, cfg: Path, resume: bool, kill_at: tuple[int, float] | None = None, in_save: bool = False) -> tuple[int, bool, float]:
    "Start a training into `out`; with `kill_at` (k, f), SIGKILL it f of an epoch's time after its k-th epoch line (with `in_save`, at the first checkpoint write after that). Returns (exit code, killed, seconds from the first epoch line to the end)."
    args = CMD + ['--config', str(cfg), '--checkpoint_dir', str(out)] + (['--resume', 'auto'] if resume else [])
    env = {**os.environ, 'PYTHONUNBUFFERED': '1', 'OMP_NUM_THREADS': '1'}
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    text, seen, t0, t_line, gap = [], 0, None, None, 0.05
    for line in p.stdout:                       # training is under way once an epoch line (or the end) appears
        text.append(line)
        if line.startswith('done'): break
        if not line.startswith('epoch '): continue
        now = time.perf_counter(); seen += 1
        if t_line is not None: gap = now - t_line                      # one epoch's time, as this run goes
        t0, t_line = t0 or now, now
        if kill_at is None or seen >= kill_at[0]: break
    t0 = t0 or time.perf_counter()
    if kill_at is not None:
        time.sleep(kill_at[1] * gap)
        while in_save and p.poll() is None and not any(f.name.endswith('.tmp') for f in os.scandir(out)): pass
        if p.poll() is None:
            p.send_signal(signal.SIGKILL); p.communicate()
            return p.returncode, True, time.perf_counter() - t0
    text.append(p.communicate()[0])
    if p.returncode != 0: print(''.join(text)[-3000:])
    return p.returncode, False, time.perf_counter() - t0


def weights(path: Path) -> dict:
    return torch.load(path, map_location='cpu', weights_only=True)['model_state_dict']


def same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def check(out: Path, ref: Path) -> tuple[int, int, bool | None]:
    "(corrupt files, lost checkpoints, last_model.pt equals the reference at its epoch — None when there is none yet)."
    corrupt = 0
    for f in out.glob('*.pt'):
        try: torch.load(f, map_location='cpu', weights_only=True)
        except Exception: corrupt += 1
    last = out/'last_model.pt'
    if not last.exists(): return corrupt, 0, None
    try: ck = torch.load(last, map_location='cpu', weights_only=True)
    except Exception: return corrupt, 0, False
    epoch = ck['epoch']
    lost = sum(not (out/f'checkpoint_epoch_{n}.pt').exists() for n in range(1, epoch + 1))
    return corrupt, lost, same(ck['model_state_dict'], weights(ref/f'checkpoint_epoch_{epoch}.pt'))


def leftovers(out: Path) -> int:
    return sum(1 for f in out.iterdir() if f.name.endswith('.tmp'))


def done_epochs(out: Path) -> int:
    "The epoch `last_model.pt` says is done (0 when there is none)."
    last = out/'last_model.pt'
    return torch.load(last, map_location='cpu', weights_only=True)['epoch'] if last.exists() else 0


def lost_rows(out: Path, ref: Path) -> int:
    "Epoch rows of a finished folder's metrics.csv that are missing, repeated, or whose losses differ from the uninterrupted run's."
    a, b = pd.read_csv(out/'metrics.csv'), pd.read_csv(ref/'metrics.csv')
    a, b = a[a['epoch'].notna()], b[b['epoch'].notna()]
    if 'event' in a: a = a[a['event'].isna()]
    if 'event' in b: b = b[b['event'].isna()]
    if a['epoch'].tolist() != b['epoch'].tolist(): return abs(len(b) - len(a)) or len(b)
    cols = ['train/loss', 'val/loss']
    return int((a[cols].to_numpy() != b[cols].to_numpy()).any(axis=1).sum())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--kills', type=int, default=20, help='how many SIGKILLs')
    ap.add_argument('--epochs', type=int, default=40, help='epochs of the short training')
    ap.add_argument('--seed', type=int, default=0, help='seed of the kill moments')
    a = ap.parse_args()
    rng, t_start, load0 = random.Random(a.seed), time.perf_counter(), os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as d:
        d = Path(d); cfg = d/'cfg.yaml'; cfg.write_text(CONFIG.format(epochs=a.epochs))
        ref = d/'reference'
        rc, _, train_s = run(ref, cfg, resume=False)
        if rc != 0: sys.exit(f"the uninterrupted run failed (exit {rc})")
        folders = [d/'killed0']
        kills = exact = corrupt = lost = inside_save = inside_csv = rounds = before_first = 0
        finished = []
        while kills < a.kills and rounds < 4 * a.kills:
            rounds += 1
            k = rng.randint(1, max(1, a.epochs - done_epochs(folders[-1])))          # among the epochs this run still has to go
            rc, killed, _ = run(folders[-1], cfg, resume=True, kill_at=(k, rng.random()), in_save=rng.random() < 1/3)
            if not killed:                       # it finished before the kill: go on in a fresh folder
                finished.append(folders[-1]); folders.append(d/f'killed{rounds}'); continue
            kills += 1
            tmps = [f.name for f in folders[-1].iterdir() if f.name.endswith('.tmp')]
            inside_save += any('.pt.' in n for n in tmps); inside_csv += any('.csv.' in n for n in tmps)
            c, l, ok = check(folders[-1], ref)
            corrupt += c; lost += l; exact += ok is True; before_first += ok is None
        rc, _, _ = run(folders[-1], cfg, resume=True)   # finish the last interrupted run
        finished.append(folders[-1])
        final_ok = rc == 0 and same(weights(folders[-1]/'last_model.pt'), weights(ref/'last_model.pt'))
        left = sum(leftovers(f) for f in folders if f.exists())   # every run has finished: any .tmp is a killed run's
        rows = sum(lost_rows(f, ref) for f in finished)
        print(f"uninterrupted run: {a.epochs} epochs, {train_s:.1f} s after its first epoch; {rounds} rounds in {len(folders)} folder(s); "
              f"{inside_save} kills left a checkpoint write unfinished, {inside_csv} a metrics.csv write; {before_first} came before the first checkpoint (nothing to resume)")
        print(f"final weights after resuming equal the uninterrupted run's: {final_ok}; load average {load0:.1f} at the start, "
              f"{os.getloadavg()[0]:.1f} at the end, on {os.cpu_count()} cores; {time.perf_counter() - t_start:.0f} s in all")
        print(f"{kills} kills, {exact + before_first} exact resumes, {corrupt} corrupt files, {lost} lost checkpoints, {left} leftovers, {rows} lost metrics rows")
        sys.exit(0 if final_ok and exact + before_first == kills and corrupt == lost == left == rows == 0 else 1)


if __name__ == '__main__':
    main()
