"""A bounded kill campaign: SIGKILL a short training at N random moments (some inside checkpoint writes), resume each time,
and compare with an uninterrupted run of the same config.

    .venv/bin/python bench/kill_campaign.py --kills 20          # about 2-4 minutes on a 2-core VM

Each round starts `mirip-lab train --task regression --resume auto` with every-epoch checkpoints, waits until training is
under way, kills it with SIGKILL after a random delay, then checks the folder:
- corrupt files: every `*.pt` must load (`torch.load(weights_only=True)`);
- lost checkpoints: `checkpoint_epoch_N.pt` must exist for every epoch N that `last_model.pt` says is done;
- exact resume: the weights in `last_model.pt` must equal, bit for bit, the uninterrupted run's weights after that epoch
  (what the next round resumes from); at the end the finished run's weights must equal the uninterrupted run's;
- about a third of the kills wait for a checkpoint write to begin (a `.tmp` file beside the checkpoints) and strike inside it;
- leftovers: after each resumed start no temporary checkpoint file (`.*.tmp`) may remain from the killed run.
It prints `K kills, K exact resumes, 0 corrupt files, 0 lost checkpoints, 0 leftovers` when everything held.
"""
import argparse, os, random, signal, subprocess, sys, tempfile, time
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


def run(out: Path, cfg: Path, resume: bool, kill_after: float | None = None, in_save: bool = False) -> tuple[int, bool, float]:
    "Start a training into `out`; with `kill_after`, SIGKILL it that many seconds after its first epoch line (with `in_save`, at the first checkpoint write after that). Returns (exit code, killed, seconds from the first epoch line to the end)."
    args = CMD + ['--config', str(cfg), '--checkpoint_dir', str(out)] + (['--resume', 'auto'] if resume else [])
    env = {**os.environ, 'PYTHONUNBUFFERED': '1', 'OMP_NUM_THREADS': '1'}
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    text = []
    for line in p.stdout:                       # training is under way once an epoch line (or the end) appears
        text.append(line)
        if line.startswith('epoch ') or line.startswith('done'): break
    t0 = time.perf_counter()
    if kill_after is not None:
        time.sleep(kill_after)
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--kills', type=int, default=20, help='how many SIGKILLs')
    ap.add_argument('--epochs', type=int, default=40, help='epochs of the short training')
    ap.add_argument('--seed', type=int, default=0, help='seed of the kill moments')
    a = ap.parse_args()
    rng = random.Random(a.seed)
    with tempfile.TemporaryDirectory() as d:
        d = Path(d); cfg = d/'cfg.yaml'; cfg.write_text(CONFIG.format(epochs=a.epochs))
        ref = d/'reference'
        rc, _, train_s = run(ref, cfg, resume=False)
        if rc != 0: sys.exit(f"the uninterrupted run failed (exit {rc})")
        folders = [d/'killed0']
        kills = exact = corrupt = lost = inside_save = rounds = 0
        while kills < a.kills and rounds < 4 * a.kills:
            rounds += 1
            rc, killed, _ = run(folders[-1], cfg, resume=True, kill_after=rng.uniform(0, train_s), in_save=rng.random() < 1/3)
            if not killed:                       # it finished before the kill: go on in a fresh folder
                folders.append(d/f'killed{rounds}'); continue
            kills += 1
            inside_save += leftovers(folders[-1]) > 0
            c, l, ok = check(folders[-1], ref)
            corrupt += c; lost += l; exact += ok is not False
        rc, _, _ = run(folders[-1], cfg, resume=True)   # finish the last interrupted run
        final_ok = rc == 0 and same(weights(folders[-1]/'last_model.pt'), weights(ref/'last_model.pt'))
        left = sum(leftovers(f) for f in folders if f.exists())   # every run has finished: any .tmp is a killed run's
        print(f"uninterrupted run: {a.epochs} epochs, {train_s:.1f} s after its first epoch; {rounds} rounds in {len(folders)} folder(s); "
              f"{inside_save} kills left a checkpoint write unfinished")
        print(f"final weights after resuming equal the uninterrupted run's: {final_ok}")
        print(f"{kills} kills, {exact} exact resumes, {corrupt} corrupt files, {lost} lost checkpoints, {left} leftovers")
        sys.exit(0 if final_ok and exact == kills and corrupt == lost == left == 0 else 1)


if __name__ == '__main__':
    main()
