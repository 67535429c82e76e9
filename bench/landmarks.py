"""ISBI 2015 landmark training: the seed's naive loader vs the tuned recipe, epoch time measured in one run.

Synthetic ISBI-layout images at the real size (1935x2400 BMP, written by `mirip_lab.data.make_isbi_like`), the
landmarker SpatialConfigurationNet of `mirip_lab.landmarks` trained through `mirip_lab.train.Trainer`:

- naive: batch 1, num_workers=0, every image decoded and resized from the BMP on every access, fp32 (the seed day log);
- tuned: the recipe (batch 8, images decoded once into memory, 4 workers for the augmentation, pinned memory,
  persistent workers, bf16 autocast on a GPU that supports it), augmenting per sample in the loader workers;
- device: the same recipe with the augmentation on the training device (`mirip_lab.augment.LandmarkBatchAugment`): the
  loader delivers uint8 images and the module moves images and landmarks per batch (`augment_on='device'`); its loader only
  indexes stored tensors, so it runs without worker processes (`--device-workers`, default 0).

Each configuration trains `--epochs` epochs (default 2); the last epoch's time is reported (the first includes worker
start-up and cuDNN autotuning). The Trainer synchronises CUDA at the end of each epoch, so epoch times are honest. With
`--quick` an epoch is one or two steps, so these three lines swing with the machine's load; the interleaved part is the
measurement (`--no-trainer` runs only that).

Then per-sample and on-device augmentation are compared with their rounds interleaved (num_workers 0 for both, medians,
which stays fair when other processes load a shared machine), in two loops:

- the input pipeline alone (`--pipeline-steps` rounds per path): the loader's fetch (per sample: `LandmarkAugment`, a
  torchvision `RandomAffine` with key points and noise, per image; on the device: indexing stored uint8 images), then
  `HeatmapModule.inputs` (on the device: `LandmarkBatchAugment` on the batch), then `HeatmapModule.target` (the Gaussian
  heatmaps): everything a training step does besides the network;
- whole training steps (`--steps` per path): fetch, `module.loss(batch, module(batch))`, backward, AdamW.

It prints where the time goes per batch (fetch, inputs, targets, and the network derived as the step's compute less inputs
and targets), the heatmap targets of landmarker's `GaussianHeatmapGenerator` (used before) beside `GaussianHeatmaps`, and
two ratios: input-pipeline images/s (the rate the data side can feed any model: the "model never waits" measure) and
end-to-end training images/s. On a CPU the second is the tiny network's speed whatever the data side does.

Measured on the 2-core VM shared with other jobs, `--quick` (96 px, tiny net, batch 8), ms per batch, medians:

| run | per sample: fetch + targets | on device: fetch + inputs + targets | network | input pipeline ratio | end-to-end ratio |
| --- | --- | --- | --- | --- | --- |
| before (landmarker's targets; profile, load 3.2, 2 threads) | 3.7 + 32-50 | 0.2 + 0.7 + 32-38 | ~100 | ~1.1x | 1.01x (printed then) |
| after, run 1 (load 3.3 -> 2.5, 2 threads) | 4.17 + 0.47 | 0.18 + 0.85 + 0.41 | 110 | 3.21x (1724 -> 5526 images/s) | 1.03x |
| after, run 2 (load 2.5, 2 threads) | 21.14 + 0.76 | 0.42 + 1.32 + 0.71 | 139 | 8.94x (365 -> 3267 images/s) | 1.01x |
| after, 1 torch thread (load 4.9) | 15.92 + 1.06 | 0.45 + 1.93 + 1.02 | 439-467 | 4.99x (471 -> 2351 images/s) | 0.96x |
| 2026-12-01 run 1 (load 6.3, 2 threads, other benches running) | 39.09 + 0.93 | 0.48 + 9.30 + 0.88 | 991-1176 | 3.75x (200 -> 751 images/s) | 1.22x |
| 2026-12-01 run 2 (load 3.9 -> 4.2, 2 threads) | 15.48 + 0.83 | 0.43 + 1.26 + 0.77 | 493-565 | 6.63x (490 -> 3253 images/s) | 0.92x |

The heatmap targets were the largest data cost: landmarker's generator took 38-246 ms per batch at 96 px (load 2.5-8),
`GaussianHeatmaps` 0.36-0.9 ms; at 512 px 1.7 s against 49 ms (2 threads, load 2.3). At 512 px on this CPU (tiny net,
`--no-trainer --size 512 --steps 4 --pipeline-steps 10`) the input pipeline ratio was 2.01x (11 -> 22 images/s: per-sample
fetch 584 ms against 60 ms fetch + 80 ms on-device augmentation per batch) and the network 7-9 s per batch.

    .venv/bin/python bench/landmarks.py --quick                    # CPU, small images, one to four minutes
    .venv/bin/python bench/landmarks.py --quick --no-trainer       # only the interleaved comparison
    .venv/bin/python bench/landmarks.py --device cuda              # lent GPU: 1935x2400 images, 512 px input
"""
import argparse, os, tempfile, time
import numpy as np
from pathlib import Path
import torch
from mirip_lab.data import make_isbi_like
from mirip_lab.landmarks import build_landmark_run, LandmarkDataset
from mirip_lab.train import TrainingConfig, train_model, rng_guard


def run(root, name, size, preset, bs, workers, store, amp, epochs, device, seed=0, augment_on='loader'):
    "Train `epochs` epochs with one loader setting; return the history's last row and the decode-once time."
    with rng_guard():
        t0 = time.perf_counter()
        module, tr, va, _ = build_landmark_run(root, size=size, annotation='senior', val_fraction=0.2,
                                               preset=preset, augment=True, seed=seed, augment_on=augment_on)
        if not store: tr = LandmarkDataset(tr.paths, tr.landmarks.numpy(), size=size, augment=tr.augment, store=False, uint8=tr.uint8)
        prep = time.perf_counter() - t0
        with tempfile.TemporaryDirectory() as d:
            cfg = TrainingConfig(max_epochs=epochs, batch_size=bs, num_workers=workers, mixed_precision=amp, device=device,
                                 checkpoint_dir=d, progress=False, print_every=0, plot=False, save_model=False,
                                 save_best_model=False, seed=seed, persistent_workers=True)
            _, hist = train_model(module, tr, None, cfg)
    row = hist.iloc[-1]
    print(f"{name:>6}: bs {bs:<3} workers {workers} store {str(store):<5} amp {amp:<4} augment on {augment_on:<6} | last epoch {row['epoch_time_s']:.2f} s, "
          f"{row['samples_per_s']:.1f} img/s, data-wait {row['data_wait_frac']:.0%} | decode-once {prep:.1f} s", flush=True)
    return row, prep


def interleaved(root, size, preset, bs, steps, device, pipeline_steps=100, seed=0):
    """Per path (per sample in the loader vs on the device), medians in ms per batch, the paths' steps interleaved, num_workers=0:
    the input pipeline alone (fetch, `module.inputs`, `module.target`: everything a step does besides the network) and a whole
    training step (`module.loss(b, module(b))`, backward, AdamW)."""
    from torch.utils.data import DataLoader
    cuda = device.startswith('cuda')
    def sync(): cuda and torch.cuda.synchronize()
    runs = {}
    for on in ('loader', 'device'):
        with rng_guard():
            module, tr, _, _ = build_landmark_run(root, size=size, annotation='senior', val_fraction=0.2, preset=preset, augment=True,
                                                  seed=seed, augment_on=on)
        module.to(device).train()
        dl = DataLoader(tr, batch_size=bs, shuffle=True, drop_last=True, generator=torch.Generator().manual_seed(seed), pin_memory=cuda)
        runs[on] = dict(m=module, opt=torch.optim.AdamW(module.parameters(), 1e-3), dl=dl, it=iter(dl))
    def fetch(r):
        try: b = next(r['it'])
        except StopIteration: r['it'] = iter(r['dl']); b = next(r['it'])
        return [t.to(device, non_blocking=True) for t in b]
    def pipeline(r):
        "The input pipeline alone: seconds of the fetch, `module.inputs` and `module.target`."
        m, t = r['m'], [time.perf_counter()]
        b = fetch(r); sync(); t.append(time.perf_counter())
        x, lm = m.inputs(b); sync(); t.append(time.perf_counter())
        m.target(lm); sync(); t.append(time.perf_counter())
        return dict(zip(('fetch', 'inputs', 'targets'), np.diff(t)))
    def train(r):
        "A whole training step: seconds of the fetch (data-wait) and of forward, loss, backward and AdamW."
        m, t = r['m'], [time.perf_counter()]
        b = fetch(r); sync(); t.append(time.perf_counter())
        m.loss(b, m(b)).backward(); r['opt'].step(); r['opt'].zero_grad(set_to_none=True); sync(); t.append(time.perf_counter())
        return dict(zip(('data', 'compute'), np.diff(t)))
    rows = []
    for fn, n in ((pipeline, pipeline_steps), (train, steps)):
        for i in range(n + 2):                                    # 2 warm-up rounds per path, not counted
            for on in (('loader', 'device') if i % 2 == 0 else ('device', 'loader')):
                row = fn(runs[on])
                if i >= 2: rows.append(dict(path=on, **row))
    import pandas as pd
    df = pd.DataFrame(rows).groupby('path').median() * 1e3       # medians of each column over its own loop
    df['pipeline'], df['step'] = df.fetch + df.inputs + df.targets, df.data + df.compute
    df['network'] = df.compute - df.inputs - df.targets            # derived: the step's compute less what the pipeline measured
    return df


def target_ms(size, bs, device, n=3):
    "ms per batch of `bs`×19 heatmap targets: landmarker's GaussianHeatmapGenerator (before) vs GaussianHeatmaps (now), fastest of `n`."
    from landmarker.heatmap import GaussianHeatmapGenerator
    from mirip_lab.landmarks import GaussianHeatmaps
    lm = torch.rand(bs, 19, 2, device=device) * size
    out = {}
    for name, gen in (('landmarker', GaussianHeatmapGenerator(19, sigmas=2.0, heatmap_size=(size, size)).to(device)),
                      ('ours', GaussianHeatmaps(size, 2.0))):
        ts = []
        for _ in range(n + 1):
            t0 = time.perf_counter(); gen(lm); device.startswith('cuda') and torch.cuda.synchronize(); ts.append(time.perf_counter() - t0)
        out[name] = min(ts[1:]) * 1e3
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--image-size', default='1935x2400', help='WxH of the synthetic BMPs (the real ones are 1935x2400)')
    p.add_argument('--size', type=int, default=512, help='network input side (the recipe: 512)')
    p.add_argument('--n-images', type=int, default=32, help='training images (validation takes 20%% of them)')
    p.add_argument('--batch-size', type=int, default=8)
    p.add_argument('--num-workers', type=int, default=4)
    p.add_argument('--device-workers', type=int, default=0,
                   help='loader workers of the on-device run: its loader only indexes stored uint8 images, so none are needed')
    p.add_argument('--epochs', type=int, default=2)
    p.add_argument('--steps', type=int, default=20, help='interleaved per-sample vs on-device comparison: counted training steps per path')
    p.add_argument('--pipeline-steps', type=int, default=100, help='interleaved comparison: counted input-pipeline rounds per path')
    p.add_argument('--no-trainer', action='store_true', help='only the interleaved comparison (skip the naive/tuned/device Trainer runs)')
    p.add_argument('--preset', default=None, help="net preset: 'gpu' (default on cuda) or 'tiny'")
    p.add_argument('--quick', action='store_true', help='CPU-sized: 388x480 images, 96 px input, tiny net, 16 images, 2 workers')
    a = p.parse_args()
    if a.quick: a.image_size, a.size, a.n_images, a.num_workers, a.preset = '388x480', 96, 16, 2, a.preset or 'tiny'
    preset = a.preset or ('gpu' if a.device.startswith('cuda') else 'tiny')
    w, h = map(int, a.image_size.lower().split('x'))
    amp = 'bf16' if a.device.startswith('cuda') and torch.cuda.is_bf16_supported() else 'no'
    dev = torch.cuda.get_device_name() if a.device.startswith('cuda') else f'cpu ({torch.get_num_threads()} threads)'
    print(f"device {dev}; {a.n_images} synthetic images {w}x{h} -> input {a.size}px; net preset {preset}; {a.epochs} epochs each")
    with tempfile.TemporaryDirectory() as root:
        t0 = time.perf_counter()
        make_isbi_like(root, n_train=a.n_images, n_test1=0, n_test2=0, size=(w, h), seed=0)
        print(f"wrote the synthetic tree in {time.perf_counter() - t0:.1f} s")
        if not a.no_trainer:
            naive, _ = run(root, 'naive', a.size, preset, 1, 0, False, 'no', a.epochs, a.device)
            tuned, prep = run(root, 'tuned', a.size, preset, a.batch_size, a.num_workers, True, amp, a.epochs, a.device)
            ondev, _ = run(root, 'device', a.size, preset, a.batch_size, a.device_workers, True, amp, a.epochs, a.device, augment_on='device')
        il = interleaved(root, a.size, preset, a.batch_size, a.steps, a.device, a.pipeline_steps)
    tg = target_ms(a.size, a.batch_size, a.device)
    load = os.getloadavg()[0]
    if not a.no_trainer:
        print(f"epoch time naive / tuned = {naive['epoch_time_s'] / tuned['epoch_time_s']:.2f}x "
              f"(tuned pays {prep:.1f} s once to decode and resize the images)")
        print(f"images/s on-device / per-sample augmentation through the Trainer (both tuned) = {ondev['samples_per_s'] / tuned['samples_per_s']:.2f}x; "
              f"data-wait {tuned['data_wait_frac']:.0%} -> {ondev['data_wait_frac']:.0%}; load {load:.2f}")
    B = a.batch_size
    print(f"\nwhere the time goes, ms per batch of {B} (interleaved, num_workers 0, medians of {a.pipeline_steps} pipeline rounds and {a.steps} training steps per path; "
          f"network = step - its own fetch - inputs - targets):\n{il[['fetch', 'inputs', 'targets', 'pipeline', 'network', 'step']].round(2).to_string()}")
    print(f"heatmap targets for {B}x19 landmarks at {a.size} px: landmarker's GaussianHeatmapGenerator {tg['landmarker']:.1f} ms "
          f"(used before), GaussianHeatmaps {tg['ours']:.2f} ms (now)")
    ips = B * 1e3 / il[['pipeline', 'step']]
    L, D = il.loc['loader'], il.loc['device']
    before = (L.fetch + L.inputs + tg['landmarker']) / (D.fetch + D.inputs + tg['landmarker'])
    print(f"\nimages/s:\n{ips.rename(columns=dict(pipeline='input_pipeline', step='end_to_end')).round(1).to_string()}")
    print(f"input pipeline (loader + augmentation + heatmap targets, no network) images/s on-device / per-sample = "
          f"{ips.pipeline['device'] / ips.pipeline['loader']:.2f}x (with landmarker's generator, as before: {before:.2f}x, derived)")
    print(f"end-to-end training images/s on-device / per-sample = {ips.step['device'] / ips.step['loader']:.2f}x; "
          f"the network is {D.network / D.step:.0%} of the on-device step; load {load:.2f}")


if __name__ == '__main__':
    main()
