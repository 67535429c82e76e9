"""Loader doctor benchmark: the seed's naive loader (num_workers=0, batch 1) against the doctor's recommendation.

On the embedded sample data written at full size (default 512 px JPEGs, so decode + resize cost like real photos),
with a dataset that decodes full-size and resizes to `--size` (224), one run measures whole epochs of:
  1. naive (as in the seed): batch 1, num_workers=0
  2. the same batch 1 with the doctor's DataLoader kwargs
  3. batch B, num_workers=0 (bigger batches alone)
  4. batch B with the doctor's DataLoader kwargs
and prints epoch times, the naive/doctor epoch-time ratio and the data-wait fractions.

    python bench/loader_doctor.py                      # cuda if available, else cpu
    python bench/loader_doctor.py --device cpu --n-images 96 --budget-s 60
    python bench/loader_doctor.py --ladder             # the speed ladder on the demo's data (384 images, 64 px, batch 32)

With --ladder: the speed ladder (`mirip_lab.diagnose.speed_ladder`) on the demo's data as `make demo` writes it, each lever
kept only if it measures faster back to back with the loop before it, in this one run; prints every lever with its
measured gain and writes the waterfall figure (ladder.png) into --out.
"""
import argparse, json, tempfile, time
from pathlib import Path
import matplotlib; matplotlib.use('Agg')
import pandas as pd
import torch
from mirip_lab.sample import make_sample_data
from mirip_lab.diagnose import diagnose, folder_dataset, make_model, make_step, measure, setting_name, speed_ladder
from mirip_lab.utils import usable_cores, default_device


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--device', default=None, help='cuda or cpu (default: cuda if available)')
    p.add_argument('--n-images', type=int, default=128, help='sample images written at --full-size')
    p.add_argument('--full-size', type=int, default=512, help='side of the JPEGs on disk (px)')
    p.add_argument('--size', type=int, default=224, help='side the model sees (px): every item is decoded full-size and resized')
    p.add_argument('--batch-size', type=int, default=16, help='batch size B the doctor tunes for')
    p.add_argument('--model', default='tiny-cnn', help='model preset (tiny-cnn, resnet18)')
    p.add_argument('--budget-s', type=float, default=60, help="the doctor's time budget (s)")
    p.add_argument('--epochs', type=int, default=2, help='whole epochs per configuration in the comparison')
    p.add_argument('--out', default=None, help='folder for the doctor figures and JSON (default: a temporary folder)')
    p.add_argument('--ladder', action='store_true', help="climb the speed ladder on the demo's data instead")
    a = p.parse_args()
    device = default_device(a.device)
    if a.ladder: return ladder(a, device)
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)/'data'
        t = time.perf_counter(); make_sample_data(data, n_images=a.n_images, size=a.full_size)
        print(f"{a.n_images} sample images of {a.full_size}x{a.full_size} px written in {time.perf_counter()-t:.1f} s; "
              f"device {device}, {usable_cores()} usable cores, model {a.model}, input {a.size} px")
        ds, n_out = folder_dataset(data, a.size)
        step = make_step(make_model(a.model, n_out), device)
        d = diagnose(ds, step, a.batch_size, device, budget_s=a.budget_s)
        out = Path(a.out) if a.out else Path(tmp)/'diagnose'
        d.save(out)
        print('\nDOCTOR:', d.verdict)
        for n in d.notes: print('note:', n)
        rec = d.recommended
        runs = [('naive (seed): batch 1, num_workers=0', 1, {}), (f'batch 1, doctor: {setting_name(rec)}', 1, rec),
                (f'batch {a.batch_size}, num_workers=0', a.batch_size, {}), (f'batch {a.batch_size}, doctor: {setting_name(rec)}', a.batch_size, rec)]
        rows = []
        for name, bs, kw in runs:  # one run, whole epochs each
            pr = measure(ds, step, bs, kw, epochs=a.epochs, steps=None, device=device, loader_kwargs=dict(shuffle=True))
            rows.append(dict(run=name, epoch_s=pr.wall_s/a.epochs, **pr.summary()))
            print(f"  measured {name}: {rows[-1]['epoch_s']:.2f} s/epoch", flush=True)
        tab = pd.DataFrame(rows)
        print('\n' + tab[['run', 'epoch_s', 'samples_per_s', 'wait_frac', 'copy_frac', 'compute_frac', 'epoch_start_s']].round(3).to_string(index=False))
        naive, best = tab.iloc[0], tab.iloc[-1]
        print(f"\nepoch time naive / doctor (batch {a.batch_size}): {naive.epoch_s/best.epoch_s:.2f}x "
              f"({naive.epoch_s:.2f} s -> {best.epoch_s:.2f} s); data-wait {naive.wait_frac:.0%} -> {best.wait_frac:.0%}")
        print(f"loader settings alone at batch 1: {tab.epoch_s[0]/tab.epoch_s[1]:.2f}x; at batch {a.batch_size}: {tab.epoch_s[2]/tab.epoch_s[3]:.2f}x; "
              f"bigger batch alone (num_workers=0): {tab.epoch_s[0]/tab.epoch_s[2]:.2f}x")
        print(f"doctor kwargs: {json.dumps(rec)}; doctor took {d.elapsed_s:.0f} s; figures in {out}")


def ladder(a, device):
    "The speed ladder on the demo's sample data (64 px images, batch 32, whole epochs)."
    from mirip_lab.sample import SAMPLE_N_IMAGES
    with tempfile.TemporaryDirectory() as tmp:
        make_sample_data(Path(tmp)/'data', n_images=SAMPLE_N_IMAGES, size=64)
        print(f"demo data: {SAMPLE_N_IMAGES} images of 64 px; device {device}, {usable_cores()} usable cores, model {a.model}, batch 32", flush=True)
        t = time.perf_counter()
        lad = speed_ladder(Path(tmp)/'data', a.model, 64, 32, device, epochs=max(a.epochs, 3), steps=None, budget_s=a.budget_s)
        print(lad.report(), '\n')
        for _, r in lad.table().iterrows():
            gain = '' if pd.isna(r.lever_gain) else f"{r.lever_gain:.2f}x ({r.base_sps:.0f} -> {r.cand_sps:.0f} samples/s)"
            print(f"  {r.lever:24s} {r.status:9s} {gain:34s} {r.note}")
        print(f"\nladder (one run, {time.perf_counter()-t:.0f} s): chained lever gains {lad.final_sps/lad.start_sps:.2f}x; {lad.headline()}")
        png = lad.save(Path(a.out) if a.out else Path('runs/ladder'), "Speed ladder on the demo's data")
        print(f"wrote {png}, {png.with_suffix('.csv')}")


if __name__ == '__main__': main()
