"""Samples/s of the plain ImageDataset (decode + resize every item) vs the DecodedImageCache one, at the model's input size, in one run.

    .venv/bin/python bench/data_cache.py [--n-images 96] [--src-size 512] [--size 224] [--workers 0] [--epochs 3] [--threads 1] [--device cpu]

Both datasets run the same training transform (random flip + colour jitter, normalise) per item; only the source differs:
the plain one decodes each JPEG and resizes it from --src-size, the cached one reads uint8 size×size pixels from the memory map.
The cache's one-off build time is printed apart. The sample images are generated larger than the model input to mimic photographs.
"""
import argparse, tempfile, time
from pathlib import Path
import torch
from torch.utils.data import DataLoader
from mirip_lab.sample import make_sample_data
from mirip_lab.data import load_metadata, make_transforms, ImageDataset, DecodedImageCache
from mirip_lab.utils import pick_device

def loader(ds, bs, workers):
    return DataLoader(ds, batch_size=bs, shuffle=True, num_workers=workers, persistent_workers=workers > 0)

def epoch_time(dl, device):
    "Seconds and samples for one pass over `dl` (batches moved to `device`, synchronised at the end)."
    t, n = time.perf_counter(), 0
    for xb, _ in dl: xb = xb.to(device, non_blocking=True); n += len(xb)
    if device.type == 'cuda': torch.cuda.synchronize()          # the copies above are async: wait for them
    return time.perf_counter()-t, n

def compare(dls, epochs, device):
    "samples/s of each loader; epochs alternate between loaders so that a change in machine load hits both alike."
    for dl in dls.values(): next(iter(dl))                      # warm-up: worker start, first allocations
    tot = {k: [0., 0] for k in dls}
    for _ in range(epochs):
        for k, dl in dls.items():
            dt, n = epoch_time(dl, device); tot[k][0] += dt; tot[k][1] += n
    return {k: n/dt for k, (dt, n) in tot.items()}

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--n-images', type=int, default=96)
    ap.add_argument('--src-size', type=int, default=512, help='side of the generated JPEGs')
    ap.add_argument('--size', type=int, default=224, help="model input size")
    ap.add_argument('--bs', type=int, default=32)
    ap.add_argument('--workers', type=int, default=0)
    ap.add_argument('--epochs', type=int, default=3, help='epochs per dataset, alternating plain/cached')
    ap.add_argument('--threads', type=int, default=1, help='torch intra-op threads (1, as inside a DataLoader worker)')
    ap.add_argument('--device', default='auto', help="'auto': the GPU when there is one, else cpu")
    a = ap.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    dev = pick_device(a.device)
    with tempfile.TemporaryDirectory() as d:
        make_sample_data(Path(d)/'m', n_images=a.n_images, size=a.src_size)
        md = load_metadata(Path(d)/'m'/'metadata.csv')
        tf = make_transforms(a.size, train=True, color_jitter=0.2)
        t = time.perf_counter()
        cache = DecodedImageCache(md.path, a.size, Path(d)/'cache', progress=False)
        build = time.perf_counter()-t
        r = compare({'plain': loader(ImageDataset(md, transform=tf), a.bs, a.workers),
                     'cached': loader(ImageDataset(md, transform=tf, cache=cache), a.bs, a.workers)}, a.epochs, dev)
        plain, cached = r['plain'], r['cached']
    print(f"{a.n_images} JPEGs {a.src_size}px -> {a.size}px, batch {a.bs}, workers {a.workers}, {a.epochs} epochs, device {dev}, "
          f"torch threads {torch.get_num_threads()}")
    print(f"cache build (once): {build:.2f} s")
    print(f"plain : {plain:8.1f} samples/s")
    print(f"cached: {cached:8.1f} samples/s")
    print(f"ratio cached/plain: {cached/plain:.2f}x")

if __name__ == '__main__': main()
