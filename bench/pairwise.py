"""Pairwise ranking speed, measured in one run:

1. training pairs/s end to end (frozen backbone, both images through the backbone every step) vs on cached features (projector only),
2. evaluation pairs/s of the naive loop (two images per pair through the model) vs score-once (each distinct image once),
3. loading pairs for the MIRIP guide's classic PIL pipeline (Resize, ToTensor, Normalize), with and without the guide's dict cache
   (a PairwiseDataset subclass memoising `_load_image`), vs the lab's v2 `make_transforms` + `DecodedImageCache` (pairs/s of the 2nd pass),
4. `rank` on the loading comparison's large JPEGs: each image decoded once (the scoring is the check; `check_images` runs only
   when a file fails) vs the path before, which decoded every image twice more in `check_images` (the CLI's check, then _scores_of's),
5. with --arch-sweep: the real `facebook/dinov2-*` architectures with random weights (no download) at 224 and 518 px,
   inference ms/pair and peak GB at batch 32 (PerformanceBenchmarks), against the < 100 ms/pair and < 12 GB requirements.

    python bench/pairwise.py                                  # tiny backbone on CPU, sample data at 64 px
    python bench/pairwise.py --device cuda --backbone facebook/dinov2-large --size 224 --arch-sweep
"""
import argparse, tempfile, time
from dataclasses import replace
from pathlib import Path
import torch
from mirip_lab.data import PairwiseDataset, DecodedImageCache, load_metadata, make_transforms
from mirip_lab.pairwise import (PairwiseRankingModel, PairwiseModule, PairwiseFeatureModule, FeatureCache, FeaturePairDataset,
                                Evaluator, PerformanceBenchmarks, DINOV2_SIZES, TINY_BACKBONES, rank_images, check_images)
from mirip_lab.sample import make_sample_data
from mirip_lab.train import TrainingConfig, train_model

def sync(dev):
    if dev.type == 'cuda': torch.cuda.synchronize(dev)

def train_speed(args, md, work, dev):
    "Pairs/s of epoch 2 (epoch 1 is warm-up) through the Trainer, end to end vs cached features; plus the one-off feature time."
    random = args.backbone in DINOV2_SIZES and not args.pretrained
    model = PairwiseRankingModel(args.backbone, projector_output_dim=256, random_init=random, pooling='cls')
    cfg = TrainingConfig(max_epochs=2, batch_size=args.batch_size, progress=False, print_every=0, plot=False, save_model=False,
                         save_best_model=False, device=str(dev), mixed_precision=args.mixed_precision, use_scheduler=False)
    pds = PairwiseDataset(md, transform=make_transforms(args.size), pairs_per_image=args.pairs_per_image,
                          cache=DecodedImageCache(list(md.path), args.size, work/'decoded', progress=False))
    _, h_e2e = train_model(PairwiseModule(model), pds, None, cfg, work/'e2e')
    fc = FeatureCache(work/'features', model.backbone_id, args.size, model.pooling)
    sync(dev); t0 = time.perf_counter()
    feats = fc.features(model.to(dev), pds.paths, batch_size=args.batch_size, device=dev, progress=False)
    sync(dev); t_feat = time.perf_counter() - t0
    fpd = FeaturePairDataset(feats, PairwiseDataset(md, pairs_per_image=args.pairs_per_image))
    _, h_c = train_model(PairwiseFeatureModule(model), fpd, None, cfg, work/'cached')
    return h_e2e['samples_per_s'].iloc[-1], h_c['samples_per_s'].iloc[-1], t_feat, len(pds.paths), model

def eval_speed(model, md, size, dev, bs):
    "Seconds of evaluating all ordered pairs of different tiers: naive two-images-per-pair loop vs score-once."
    pds = PairwiseDataset(md, transform=make_transforms(size))
    ev = Evaluator(model, dev, batch_size=bs)
    res = {}
    for name, naive in (('score-once', False), ('naive', True)):
        sync(dev); t0 = time.perf_counter(); acc = ev.evaluate(pds, naive=naive); sync(dev)
        res[name] = (time.perf_counter() - t0, acc)
    return len(pds), res

class GuideCachedPairs(PairwiseDataset):
    "The MIRIP guide's caching recipe: a dict of loaded images in `self.cache`, `_load_image` memoised."
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cache = {}
    def _load_image(self, path):
        if path not in self.cache: self.cache[path] = super()._load_image(path)
        return self.cache[path]

def load_speed(md, work, size, n_pairs, bs):
    "Pairs/s of a second pass over `n_pairs` pairs (the first pass fills the caches): guide PIL pipeline, + dict cache, v2 + DecodedImageCache."
    import warnings
    from torchvision import transforms as T
    from torch.utils.data import DataLoader, Subset
    from mirip_lab.data import IMAGENET_MEAN, IMAGENET_STD, SlowPathNote
    pil = T.Compose([T.Resize((size, size)), T.ToTensor(), T.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', SlowPathNote)
        sets = {'guide: PIL pipeline, no cache': PairwiseDataset(md, transform=pil),
                'guide: PIL pipeline + dict cache': GuideCachedPairs(md, transform=pil),
                'lab: v2 make_transforms + DecodedImageCache': PairwiseDataset(md, transform=make_transforms(size),
                                                                  cache=DecodedImageCache(list(md.path), size, work/'decoded_load', progress=False))}
    res = {}
    for name, ds in sets.items():
        sub = Subset(ds, range(min(n_pairs, len(ds))))
        for _ in range(2):
            t0 = time.perf_counter()
            for _b in DataLoader(sub, batch_size=bs): pass
            t = time.perf_counter() - t0
        res[name] = len(sub) / t
    return res

def rank_speed(model, paths, size, dev, bs):
    "Seconds (best of 3) of ranking `paths`: decode once vs two `check_images` passes first, as `rank` did before."
    tf, best = make_transforms(size), {}
    for _ in range(3):
        for name, checks in (('decode once (now)', 0), ('check, check, score (before)', 2)):
            t0 = time.perf_counter()
            for _c in range(checks): check_images(paths)
            rank_images(model, paths, tf, bs, dev)
            best[name] = min(best.get(name, float('inf')), time.perf_counter() - t0)
    return best

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--backbone', default='dinov2-tiny', help=f"'dinov2-tiny' or one of {list(DINOV2_SIZES)} (random weights unless --pretrained)")
    p.add_argument('--pretrained', action='store_true', help='load real weights (needs a local copy or network)')
    p.add_argument('--size', type=int, default=64, help='image side (a multiple of the patch size: 8 for tiny, 14 for dinov2-*)')
    p.add_argument('--n-images', type=int, default=96)
    p.add_argument('--pairs-per-image', type=int, default=16)
    p.add_argument('--batch-size', type=int, default=32)
    p.add_argument('--mixed-precision', default='no', choices=['no', 'bf16', 'fp16'])
    p.add_argument('--load-image-size', type=int, default=512, help='side of the sample images for the loading comparison (artwork photos are large)')
    p.add_argument('--load-pairs', type=int, default=512, help='pairs per pass in the loading comparison')
    p.add_argument('--arch-sweep', action='store_true', help='PerformanceBenchmarks of dinov2-small/base/large/giant at 224 and 518 px, batch 32')
    p.add_argument('--sweep-sizes', default='224,518')
    p.add_argument('--sweep-archs', default=','.join(DINOV2_SIZES))
    a = p.parse_args()
    dev = torch.device(a.device)
    print(f"device {dev}{' (' + torch.cuda.get_device_name(dev) + ')' if dev.type == 'cuda' else ''}, torch {torch.__version__}, "
          f"backbone {a.backbone}{'' if a.pretrained or a.backbone in TINY_BACKBONES else ' (random weights)'}, {a.size} px, batch {a.batch_size}")
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        make_sample_data(work/'data', n_images=a.n_images, size=max(a.size, 64), seed=0)
        md = load_metadata(work/'data'/'metadata.csv')
        e2e, cached, t_feat, n_img, model = train_speed(a, md, work, dev)
        print(f"\n[train] pairs/s end to end (frozen backbone, images every step): {e2e:10.1f}")
        print(f"[train] pairs/s on cached features (projector only):           {cached:10.1f}   ratio {cached / e2e:.1f}x")
        print(f"[train] one-off feature computation: {t_feat:.2f} s for {n_img} images ({n_img / t_feat:.1f} images/s)")
        n, ips = 10_000, n_img / t_feat  # the seed's "10K samples": 10K pairs, at most 10K distinct images
        print(f"[train] 10 epochs of {n} pairs: end to end {10 * n / e2e / 60:.1f} min; cached {10 * n / cached / 60:.2f} min "
              f"+ features of up to {n} images once {n / ips / 60:.1f} min")
        n_pairs, r = eval_speed(model, md, a.size, dev, a.batch_size)
        (t_once, acc_once), (t_naive, acc_naive) = r['score-once'], r['naive']
        print(f"\n[eval] {n_pairs} pairs of {n_img} images")
        print(f"[eval] naive loop (2 images per pair): {n_pairs / t_naive:10.1f} pairs/s  ({t_naive:.2f} s)")
        print(f"[eval] score once, compare many:       {n_pairs / t_once:10.1f} pairs/s  ({t_once:.2f} s)   ratio {t_naive / t_once:.1f}x; "
              f"accuracy identical: {acc_once == acc_naive} ({acc_once:.4f})")
        make_sample_data(work/'big', n_images=32, size=a.load_image_size, seed=0)
        r = load_speed(load_metadata(work/'big'/'metadata.csv'), work, 224, a.load_pairs, a.batch_size)
        base = r['guide: PIL pipeline, no cache']
        print(f"\n[load] pairs/s of a second pass over {a.load_pairs} pairs, {a.load_image_size} px JPEGs resized to 224, batch {a.batch_size}, main process")
        for name, v in r.items(): print(f"[load] {name:46} {v:10.1f} pairs/s   ratio {v / base:.1f}x")
        big = list(load_metadata(work/'big'/'metadata.csv').path)
        r = rank_speed(model, big, a.size, dev, a.batch_size)
        now, before = r['decode once (now)'], r['check, check, score (before)']
        print(f"\n[rank] {len(big)} images of {a.load_image_size} px at {a.size} px: decode once {now:.2f} s, "
              f"check twice then score (before) {before:.2f} s   ratio {before / now:.2f}x")
    if a.arch_sweep:
        print(f"\n[arch] random-weight DINOv2 architectures, batch 32 pairs, PerformanceBenchmarks on {dev}")
        print(f"{'architecture':24} {'px':>4} {'ms/pair':>9} {'pairs/s':>9} {'infer GB':>9} {'train GB':>9}  meets(<100ms, <12GB)")
        for name in a.sweep_archs.split(','):
            for size in map(int, a.sweep_sizes.split(',')):
                try:
                    m = PairwiseRankingModel(name, random_init=True)
                    r = PerformanceBenchmarks(m, dev, batch_size=32, image_size=size, amp=a.mixed_precision != 'no').run_full_benchmark()
                    gb = lambda k: f"{r[k]:9.2f}" if r[k] is not None else f"{'n/a':>9}"
                    print(f"{name:24} {size:4d} {r['inference_time_ms']:9.2f} {r['pairs_per_s']:9.1f} {gb('inference_memory_gb')} {gb('train_step_memory_gb')}  "
                          f"{r['meets_inference_requirement']}, {r['meets_memory_requirement']}", flush=True)
                except torch.OutOfMemoryError as e:
                    print(f"{name:24} {size:4d} out of memory at batch 32: {str(e).splitlines()[0][:80]}")
                finally:
                    m = None
                    if dev.type == 'cuda': torch.cuda.empty_cache()
        if dev.type != 'cuda': print("note: the requirements are defined for a GPU; CPU figures are for reference only")

if __name__ == '__main__': main()
