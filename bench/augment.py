"""On-device batch augmentation vs per-sample augmentation in the loader, measured in one run.

Default: the demo's training step, both paths interleaved step by step. The demo's sample set, its training split in the
decoded-image cache, pairs drawn as the stage draws them (8 per image), batch 32, num_workers=0 (as the loader doctor picks on
2 cores), the tiny DINOv2 ranker trained end to end with AdamW. Path 'loader': `make_transforms(64, train=True,
**QUALITY_AUGMENT)` per image in the DataLoader (float batches); path 'device': `ResizeUint8` in the loader (uint8 batches) and
`BatchAugment` in `PairwiseModule.forward`. Each step fetches a batch (timed: data-wait) and runs forward, backward and the
optimizer step, alternating the paths (which one goes first alternates too), so load from other processes on a shared
machine hits both alike. It prints median pairs/s, the data-wait share of the step, and the ratio.

`--stage`: the demo's training stage itself (`mirip_lab.demo.stage_train_eval` through the Trainer) per path, `--epochs`
epochs, alternated `--rounds` times; pairs/s and data-wait from the Trainer's metrics (the first epoch, which builds the
cache, left out). Sound on a quiet machine; on a loaded one the interleaved default is the fairer comparison.

`--ops`: milliseconds per batch of the augmentation alone: torchvision v2 per sample (the loader path), plain torch on the batch
(`mirip_lab.augment`, the one used) and Kornia 0.9 on the batch (the alternative measured for the choice).

    nice .venv/bin/python bench/augment.py                 # interleaved demo training steps, ~1 min on 2 cores
    nice .venv/bin/python bench/augment.py --stage         # the demo's training stage per path through the Trainer, minutes
    .venv/bin/python bench/augment.py --ops                # augmentation alone, ms per batch
"""
import argparse, itertools, os, tempfile, time
from pathlib import Path
import pandas as pd
import torch


def _ms(f, n:int, warm:int=3) -> float:
    "Fastest of `n` calls of `f()` after `warm` calls, in ms (the minimum: other processes on a shared machine only add time)."
    for _ in range(warm): f()
    ts = []
    for _ in range(n):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return min(ts) * 1e3


def _noisy(x, lm, noise:float=0.03):
    "LandmarkAugment's intensity noise, for the Kornia variant (which has no such op)."
    return x + torch.randn_like(x) * (noise * torch.rand(len(x), 1, 1, 1)), lm


def ops(n:int=30):
    "ms per batch: per-sample torchvision v2 vs batched plain torch vs batched Kornia."
    import kornia.augmentation as K
    from mirip_lab.data import make_transforms, QUALITY_AUGMENT, IMAGENET_MEAN, IMAGENET_STD
    from mirip_lab.augment import BatchAugment, LandmarkBatchAugment
    from mirip_lab.landmarks import LandmarkAugment
    rows = []
    x8 = torch.randint(0, 256, (32, 3, 64, 64), dtype=torch.uint8)
    tv = make_transforms(64, train=True, **QUALITY_AUGMENT)
    ours = BatchAugment(**QUALITY_AUGMENT, mean=IMAGENET_MEAN, std=IMAGENET_STD)
    mean, std = torch.tensor(IMAGENET_MEAN).view(-1, 1, 1), torch.tensor(IMAGENET_STD).view(-1, 1, 1)
    ko = K.AugmentationSequential(K.RandomHorizontalFlip(), K.RandomVerticalFlip(), K.RandomRotation90(times=(0, 3), p=1.),
                                  K.RandomChannelShuffle(p=1.))
    rows.append(dict(task='ranker QUALITY_AUGMENT', batch='32×3×64×64 uint8',
                     per_sample_tv=_ms(lambda: torch.stack([tv(x) for x in x8]), n),
                     batch_plain_torch=_ms(lambda: ours(x8), n),
                     batch_kornia=_ms(lambda: (ko(x8.float() / 255) - mean) / std, n)))
    for B, S, k in ((8, 96, n), (8, 512, max(3, n // 6))):
        x, lm = torch.rand(B, 1, S, S), torch.rand(B, 19, 2) * S
        per = LandmarkAugment()
        kl = K.AugmentationSequential(K.RandomAffine(degrees=10, translate=(0.05, 0.05), scale=(0.95, 1.05), resample='nearest'),
                                      data_keys=['input', 'keypoints'])
        la = LandmarkBatchAugment()
        rows.append(dict(task='landmarks affine + noise', batch=f'{B}×1×{S}×{S} + 19 points',
                         per_sample_tv=_ms(lambda: [per(x[i], lm[i]) for i in range(B)], k),
                         batch_plain_torch=_ms(lambda: la(x, lm), k),
                         batch_kornia=_ms(lambda: _noisy(*kl(x, lm.flip(-1))), k)))
    df = pd.DataFrame(rows)
    print(f"ms per batch, fastest of {n} calls, {torch.get_num_threads()} torch threads, load {os.getloadavg()[0]:.2f}")
    print(df.round(2).to_string(index=False))


def interleaved(d:Path, md, steps:int, seed:int, ppi:int, bs:int=32) -> pd.DataFrame:
    "Per path, per step: data-wait and step seconds of the demo's training step, the two paths interleaved."
    from torch.utils.data import DataLoader
    from mirip_lab.data import (DataSplitter, DecodedImageCache, PairwiseDataset, make_transforms, QUALITY_AUGMENT,
                                IMAGENET_MEAN, IMAGENET_STD)
    from mirip_lab.augment import BatchAugment, ResizeUint8
    from mirip_lab.pairwise import PairwiseRankingModel, PairwiseModule
    tr = DataSplitter(0.6, 0.2, 0.2, seed).split(md)[0]
    cache = DecodedImageCache(list(tr.path), 64, d/'cache', progress=False)
    paths = dict(loader=(make_transforms(64, train=True, **QUALITY_AUGMENT), None),
                 device=(ResizeUint8(64), BatchAugment(**QUALITY_AUGMENT, mean=IMAGENET_MEAN, std=IMAGENET_STD)))
    run = {}
    for name, (tf, aug) in paths.items():
        torch.manual_seed(seed)
        model = PairwiseRankingModel('dinov2-tiny', freeze_backbone=False, projector_output_dim=64, pooling='meanstd', seed=seed)
        ds = PairwiseDataset(tr, transform=tf, cache=cache, pairs_per_image=ppi, seed=seed)
        dl = DataLoader(ds, batch_size=bs, shuffle=True, drop_last=True, generator=torch.Generator().manual_seed(seed))
        run[name] = dict(module=PairwiseModule(model, aug).train(), opt=torch.optim.AdamW(model.parameters(), 1e-3), dl=dl, it=iter(dl))
    rows = []
    for i in range(steps + 3):                                    # 3 warm-up steps per path, not counted
        for name in (('loader', 'device') if i % 2 == 0 else ('device', 'loader')):
            r = run[name]
            t0 = time.perf_counter()
            try: b = next(r['it'])
            except StopIteration: r['it'] = iter(r['dl']); b = next(r['it'])
            t1 = time.perf_counter()
            m = r['module']; loss = m.loss(b, m(b)); loss.backward(); r['opt'].step(); r['opt'].zero_grad(set_to_none=True)
            t2 = time.perf_counter()
            if i >= 3: rows.append(dict(path=name, data_s=t1 - t0, compute_s=t2 - t1, step_s=t2 - t0))
    return pd.DataFrame(rows)


def stage(mode:str, d:Path, md, epochs:int, seed:int, ppi:int) -> pd.DataFrame:
    "The demo's training stage with augmentation on `mode` ('loader' or 'device'); the Trainer's per-epoch rows."
    from mirip_lab.demo import stage_train_eval
    from mirip_lab.utils import DemoContext
    ctx = DemoContext(d/mode, seed=seed, size=64, max_epochs=epochs, pairs_per_image=ppi, batch_size=32, metadata=md,
               loader_kwargs={}, augment_on=mode, progress=False, print_every=0)
    t0 = time.perf_counter(); stage_train_eval(ctx); wall = time.perf_counter() - t0
    h = pd.read_csv(d/mode/'train'/'metrics.csv')
    print(f"{mode:>6}: stage {wall:.0f} s; test pairwise accuracy {ctx.pairwise['test_accuracy']:.3f} after {epochs} epochs", flush=True)
    return h


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--ops', action='store_true', help='time the augmentation alone (ms per batch)')
    p.add_argument('--stage', action='store_true', help="run the demo's training stage per path through the Trainer")
    p.add_argument('--steps', type=int, default=60, help='interleaved: counted steps per path')
    p.add_argument('--epochs', type=int, default=2, help='--stage: epochs per path (the first, which builds the cache, is not counted)')
    p.add_argument('--rounds', type=int, default=1, help='--stage: loader/device alternations (more: a load change hits both paths alike)')
    p.add_argument('--n-images', type=int, default=None, help="sample images (default: the demo's)")
    p.add_argument('--pairs-per-image', type=int, default=8)
    p.add_argument('--seed', type=int, default=0)
    a = p.parse_args()
    if a.ops: return ops()
    from mirip_lab.sample import make_sample_data, SAMPLE_N_IMAGES
    from mirip_lab.data import load_metadata
    n = a.n_images or SAMPLE_N_IMAGES
    what = f"the demo's training stage, {a.epochs} epochs per path × {a.rounds}" if a.stage else f"the demo's training step interleaved, {a.steps} steps per path"
    print(f"{what}: {n} sample images at 64 px, {a.pairs_per_image} pairs/image, batch 32, num_workers 0, QUALITY_AUGMENT; "
          f"{torch.get_num_threads()} torch threads, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory() as d:
        d = Path(d); make_sample_data(d/'data', n, 64, a.seed)
        md = load_metadata(d/'data'/'metadata.csv')
        if not a.stage:
            df = interleaved(d, md, a.steps, a.seed, a.pairs_per_image).groupby('path').median()
            df = pd.DataFrame(dict(pairs_per_s=32 / df.step_s, data_wait_share=df.data_s / df.step_s, step_ms=df.step_s * 1e3,
                                   data_ms=df.data_s * 1e3, compute_ms=df.compute_s * 1e3))
        else:
            res = {}
            for k, mode in enumerate(('loader', 'device') * a.rounds):    # alternated: a load change hits both paths
                h = stage(mode, d/f'run{k}', md, a.epochs, a.seed, a.pairs_per_image)
                res.setdefault(mode, []).append(h[h.epoch > 1])   # by epoch number: metrics.csv also holds micro-batch event rows
            df = pd.DataFrame([dict(path=mode, pairs_per_s=h.samples_per_s.median(), data_wait_share=h.data_wait_frac.median())
                               for mode, h in ((m, pd.concat(hs)) for m, hs in res.items())]).set_index('path')
    print('\nmedians:\n' + df.round(3).to_string())
    print(f"\npairs/s device / loader = {df.pairs_per_s['device'] / df.pairs_per_s['loader']:.2f}x; "
          f"data-wait share of the step {df.data_wait_share['loader']:.1%} (loader) -> {df.data_wait_share['device']:.1%} (device); "
          f"load {os.getloadavg()[0]:.2f}")


if __name__ == '__main__':
    main()
