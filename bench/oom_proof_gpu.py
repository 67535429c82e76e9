"""OOM-proof training on a real GPU: fill the card on purpose mid-run and show the Trainer surviving it.

Epoch 1 trains a convolutional model at the configured batch. A callback after epoch 1 measures how much memory one
training step needs beyond the weights and optimizer state (`peak - held`), hands the cache back, and allocates a
"ballast" tensor of all the free memory except `--leave` × that step's activations. Epoch 2's first step then runs out
of memory; with `auto_microbatch` on, the Trainer halves the micro-batch until the step fits, redoes it from its start
on the same samples, and finishes the run at the same effective batch. `--release_after N` frees the ballast after
epoch N (with `--grow_after M` the Trainer then tries the doubled micro-batch once).

    .venv/bin/python bench/oom_proof_gpu.py --device cuda                  # the real thing (a GPU with >= 4 GiB free)
    .venv/bin/python bench/oom_proof_gpu.py --device cuda --mixed_precision bf16 --release_after 2 --grow_after 1 --epochs 4
    .venv/bin/python bench/oom_proof_gpu.py --device cpu                   # no GPU: the simulated version (OOMModel)

It prints the Trainer's warning lines (to stdout), one line per epoch (micro-batch, micro-steps, samples/s, peak memory),
the micro-batch events from metrics.csv, the end-of-run summary, and `survived: yes` or `survived: no` (exit status 1).
"""
import argparse, sys, tempfile, warnings
from pathlib import Path
import pandas as pd
import torch
from torch import nn
from torch.utils.data import TensorDataset
from mirip_lab.train import Trainer, TrainingConfig, MicroBatchWarning, rng_guard
from mirip_lab.callbacks import Callback
from mirip_lab.utils import pick_device


def wide_cnn(width: int = 64) -> nn.Module:
    "Convolutions at full resolution before downsampling: activation memory grows fast with the batch (no BatchNorm)."
    return nn.Sequential(nn.Conv2d(3, width, 3, 1, 1), nn.ReLU(), nn.Conv2d(width, width, 3, 1, 1), nn.ReLU(),
                         nn.Conv2d(width, width, 3, 2, 1), nn.ReLU(), nn.Conv2d(width, 2 * width, 3, 2, 1), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2 * width, 1))


def make_data(n: int, size: int, seed: int = 0) -> TensorDataset:
    "Random RGB images; target: mean brightness of the red channel."
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, size, size, generator=g)
    return TensorDataset(x, x[:, 0].mean(dim=(1, 2)).unsqueeze(1))


def print_warnings():
    "Show MicroBatchWarning lines on stdout, every time, in order with the rest of the output."
    warnings.simplefilter('always', MicroBatchWarning)
    old = warnings.showwarning
    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, MicroBatchWarning): print(f"WARNING {message}", flush=True)
        else: old(message, category, filename, lineno, file, line)
    warnings.showwarning = show


class Ballast(Callback):
    "After epoch `fill_after`, allocate all free GPU memory but `leave` × one step's activations; free it after `release_after`."
    order = 20
    def after_epoch(self): self(self.trainer, self.trainer.row)
    def __init__(self, device, leave: float, fill_after: int = 1, release_after: int = 0):
        self.device, self.leave, self.fill_after, self.release_after, self.t = device, leave, fill_after, release_after, None
    def __call__(self, trainer, row):
        d = self.device
        if row['epoch'] == self.fill_after:
            torch.cuda.synchronize(d)
            held, peak = torch.cuda.memory_allocated(d), torch.cuda.max_memory_allocated(d)
            step = max(peak - held, 1)
            torch.cuda.empty_cache()          # outside the loop, on purpose: what is cached goes back so the ballast can take it
            free, total = torch.cuda.mem_get_info(d)
            n = int(free - self.leave * step)
            print(f"ballast after epoch {row['epoch']}: one step needs {step/2**30:.2f} GiB beyond {held/2**30:.2f} GiB of weights+optimizer; "
                  f"{free/2**30:.2f} GiB free of {total/2**30:.2f} GiB; allocating {n/2**30:.2f} GiB, leaving {self.leave:.2f} x the step", flush=True)
            self.t = torch.empty(n, dtype=torch.uint8, device=d)
            print(f"  now {torch.cuda.mem_get_info(d)[0]/2**30:.2f} GiB free", flush=True)
        if self.release_after and row['epoch'] == self.release_after and self.t is not None:
            self.t = None; torch.cuda.empty_cache()
            print(f"ballast released after epoch {row['epoch']}: {torch.cuda.mem_get_info(d)[0]/2**30:.2f} GiB free", flush=True)


class SimulatedBallast(Callback):
    "CPU stand-in: after epoch `fill_after` the OOMModel's limit drops to `limit` samples (None again after `release_after`)."
    order = 20
    def after_epoch(self): self(self.trainer, self.trainer.row)
    def __init__(self, oom_model, limit: int, fill_after: int = 1, release_after: int = 0):
        self.m, self.limit, self.fill_after, self.release_after = oom_model, limit, fill_after, release_after
    def __call__(self, trainer, row):
        if row['epoch'] == self.fill_after:
            self.m.limit = self.limit; print(f"simulated ballast after epoch {row['epoch']}: from now on at most {self.limit} samples fit", flush=True)
        if self.release_after and row['epoch'] == self.release_after:
            self.m.limit = None; print(f"simulated ballast released after epoch {row['epoch']}", flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--device', default='auto', help="cuda (the real demo) or cpu (simulated); 'auto': cuda when there is a GPU")
    p.add_argument('--epochs', type=int, default=3)
    p.add_argument('--batch_size', type=int, default=128)
    p.add_argument('--n', type=int, default=1024, help='training images')
    p.add_argument('--size', type=int, default=128, help='image side (pixels)')
    p.add_argument('--width', type=int, default=64, help='convolution channels')
    p.add_argument('--leave', type=float, default=0.35, help="free memory left beside the ballast, as a fraction of one step's activations")
    p.add_argument('--release_after', type=int, default=0, help='free the ballast after this epoch; 0: never')
    p.add_argument('--grow_after', type=int, default=0, help='TrainingConfig.microbatch_grow_after')
    p.add_argument('--mixed_precision', default='no', choices=['no', 'bf16', 'fp16'])
    p.add_argument('--out', default=None, help='run folder (default: a temporary one)')
    a = p.parse_args(argv)
    if a.device.startswith('cuda') and not torch.cuda.is_available():   # only this; a misspelt device keeps torch's own error
        sys.exit("--device cuda: no GPU visible to torch; this demo needs a GPU (or run --device cpu for the simulated version)")
    device = pick_device(a.device)
    print_warnings()
    with tempfile.TemporaryDirectory() as tmp, rng_guard():
        out = Path(a.out or tmp)
        cfg = TrainingConfig(max_epochs=a.epochs, batch_size=a.batch_size, learning_rate=1e-3, auto_microbatch=True, microbatch_grow_after=a.grow_after,
                             mixed_precision=a.mixed_precision, device=str(device), checkpoint_dir=str(out), progress=False, plot=False,
                             overwrite=True)  # --out may hold an earlier run of this demo
        if device.type == 'cuda':
            print(f"device: {torch.cuda.get_device_name(device)}, torch {torch.__version__}; model wide_cnn(width={a.width}), "
                  f"{a.n} images {a.size}x{a.size}, batch {a.batch_size}, mixed_precision={a.mixed_precision}", flush=True)
            model, ds, val = wide_cnn(a.width), make_data(a.n, a.size), make_data(max(a.n // 4, 1), a.size, seed=1)
            cb = Ballast(device, a.leave, release_after=a.release_after)
        else:
            from mirip_lab.test_utils import OOMModel, RegModel, synth_regression
            print(f"no GPU ({device}): simulated run, OOMModel raises torch.OutOfMemoryError above the limit; use --device cuda on a GPU for the real demo", flush=True)
            model = OOMModel(RegModel(seed=0)); ds, val = synth_regression(a.n), synth_regression(max(a.n // 4, 1), seed=1)
            cb = SimulatedBallast(model, max(int(a.batch_size * a.leave), 1), release_after=a.release_after)
        t = Trainer(model, cfg, loss_func=nn.MSELoss(), callbacks=[cb])
        try: df = t.fit(ds, val)
        except torch.OutOfMemoryError as e:
            print(f"survived: no\n{e}", flush=True); return 1
        finally:
            if isinstance(cb, Ballast): cb.t = None
        for r in df.to_dict('records'):
            print(f"epoch {r['epoch']}: micro-batch {r['micro_batch_size']} x {r['micro_steps']} micro-steps, train/loss {r['train/loss']:.4g}, "
                  f"{r['samples_per_s']:.0f} samples/s, peak {r['peak_gpu_mem_gb']:.2f} GiB", flush=True)
        csv = pd.read_csv(out/'metrics.csv')
        if 'event' in csv:
            cols = ['epoch', 'event', 'step', 'old_micro_batch', 'new_micro_batch', 'old_accumulation', 'new_accumulation']
            print('micro-batch events (metrics.csv):'); print(csv.loc[csv.event.notna(), cols].to_string(index=False))
        print(f"survived: yes ({len(df)} epochs, effective batch {t.effective_batch()}, final micro-batch {t.config.micro_batch_size or a.batch_size}, "
              f"{sum(e['event'] == 'microbatch' for e in t.microbatch_events)} out-of-memory redo(s))", flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
