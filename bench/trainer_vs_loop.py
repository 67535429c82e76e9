"""Seed-style per-sample training loop vs the batched `mirip_lab.train.Trainer`, same small CNN, same data, one run.

The MSI guide's loop steps the optimizer once per sample (batch size 1) and calls `.item()` every step; it claims a
batched rewrite is 3-5x faster. This script measures both, in samples/s, after a burn-in, in the same process:

    .venv/bin/python bench/trainer_vs_loop.py                       # cpu here; cuda when available
    .venv/bin/python bench/trainer_vs_loop.py --device cuda --amp   # adds rows with autocast (bf16, or --amp_dtype fp16)

Sync points: the per-sample loop syncs every step through `loss.item()` (that is what is measured); the Trainer syncs
at the end of each epoch (`torch.cuda.synchronize`) and every `log_every_steps` for the progress bar (off here).
"""
import argparse, tempfile, time
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from mirip_lab.train import Trainer, TrainingConfig, rng_guard
from mirip_lab.utils import pick_device


def small_cnn() -> nn.Module:
    "Three stride-2 convolutions and a linear head: a small image regressor (no BatchNorm)."
    return nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.ReLU(), nn.Conv2d(16, 32, 3, 2, 1), nn.ReLU(),
                         nn.Conv2d(32, 64, 3, 2, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 1))


def make_data(n: int, size: int, seed: int = 0) -> TensorDataset:
    "Random `size`x`size` RGB images; the target is a smooth function of the pixels (mean brightness of the red channel)."
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, size, size, generator=g)
    return TensorDataset(x, x[:, 0].mean(dim=(1, 2)).unsqueeze(1))


def sync(device):
    if device.type == 'cuda': torch.cuda.synchronize(device)


def per_sample_loop(ds, device, amp_dtype, burn_in: int = 16) -> float:
    "The seed's loop: batch size 1, zero_grad/backward/step per sample, `.item()` each step. Returns samples/s."
    torch.manual_seed(0)
    model = small_cnn().to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    scaler = torch.amp.GradScaler(device.type, enabled=amp_dtype == torch.float16)
    dl = DataLoader(ds, batch_size=1, shuffle=True, generator=torch.Generator().manual_seed(0))
    loss_fn, total, n, t0 = nn.MSELoss(), 0., 0, None
    for i, (x, y) in enumerate(dl):
        if i == burn_in: sync(device); t0 = time.perf_counter()
        x, y = x.to(device), y.to(device)
        opt.zero_grad()
        with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
            loss = loss_fn(model(x), y)
        scaler.scale(loss).backward(); scaler.step(opt); scaler.update()
        total += loss.item()                                   # sync point every sample, as in the seed
        if i >= burn_in: n += 1
    sync(device)
    return n / (time.perf_counter() - t0)


def batched_trainer(ds, device, mp: str, batch_size: int) -> float:
    "The Trainer, 2 epochs (the first is burn-in: cudnn autotuning, allocator warm-up); samples/s of the second."
    with tempfile.TemporaryDirectory() as d, rng_guard():
        torch.manual_seed(0)
        cfg = TrainingConfig(max_epochs=2, batch_size=batch_size, mixed_precision=mp, device=str(device), checkpoint_dir=d,
                             save_model=False, save_best_model=False, plot=False, progress=False, print_every=0)
        df = Trainer(small_cnn(), cfg, loss_func=nn.MSELoss()).fit(ds)
    return float(df.samples_per_s.iloc[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--device', default='auto', help="'auto': the GPU when there is one, else cpu")
    p.add_argument('--n', type=int, default=512, help='samples')
    p.add_argument('--size', type=int, default=64, help='image side in pixels')
    p.add_argument('--batch_size', type=int, default=32, help="the Trainer's batch size")
    p.add_argument('--amp', action='store_true', help='also measure both with autocast')
    p.add_argument('--amp_dtype', default='bf16', choices=['bf16', 'fp16'])
    p.add_argument('--repeats', type=int, default=2, help='alternate loop/Trainer this many times, keep the best of each (a shared machine is noisy)')
    a = p.parse_args()
    device = pick_device(a.device)
    ds = make_data(a.n, a.size)
    name = torch.cuda.get_device_name(device) if device.type == 'cuda' else f'cpu ({torch.get_num_threads()} threads)'
    print(f"device {name}, torch {torch.__version__}, {a.n} images {a.size}x{a.size}, small CNN, Trainer batch {a.batch_size}")
    modes = [('fp32', None, 'no')]
    if a.amp: modes.append((a.amp_dtype, {'bf16': torch.bfloat16, 'fp16': torch.float16}[a.amp_dtype], a.amp_dtype))
    print(f"{'precision':<10}{'per-sample loop':>18}{'batched Trainer':>18}{'ratio':>9}")
    for label, dt, mp in modes:
        loop = tr = 0.
        for _ in range(a.repeats):
            loop = max(loop, per_sample_loop(ds, device, dt))
            tr = max(tr, batched_trainer(ds, device, mp, a.batch_size))
        print(f"{label:<10}{loop:>14.0f} s/s{tr:>14.0f} s/s{tr/loop:>8.1f}x", flush=True)


if __name__ == '__main__':
    main()
